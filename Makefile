# matchd: a plain, non-recursive GNU Makefile. `make -n` shows every command.
#
#   make                 build build/matchd
#   make run             install Debian packages, build, serve on SQLite, print a key
#   make test            install, build, run every suite; last line "N passed, N failed"
#   make SANITIZE=address,undefined test
#                        the same, built into build/asan-ubsan/
#   make fuzz            build the libFuzzer harnesses with clang and run each briefly
#   make bench           run the benchmarks in bench/ (never part of `make test`)
#   make format | check-format | clean | deps | compile_commands.json

SHELL := /bin/bash
CC ?= cc
PKG_CONFIG ?= pkg-config
PYTHON ?= /usr/bin/python3

comma := ,
SANITIZE ?=
ifeq ($(SANITIZE),)
  BUILD := build
  SANFLAGS :=
else
  BUILD := build/$(subst address,asan,$(subst undefined,ubsan,$(subst $(comma),-,$(SANITIZE))))
  SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

PKGS := libmicrohttpd jansson sqlite3 libpq libcurl libcrypto poppler-glib cairo libutf8proc
# Headers only: src/engines/cv/ocr.c loads libtesseract with dlopen at the first scanned page.
OCR_PKGS := tesseract lept
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) $(OCR_PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wvla -Wwrite-strings \
        -Wno-unused-parameter -Wno-format-truncation
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(SANFLAGS) -Isrc -I$(BUILD)/gen $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
# libstemmer ships no pkg-config file.
LIBS = $(PKG_LIBS) -lstemmer -lpthread -lm

LIB_SRC := $(shell find src -name '*.c' ! -name main.c | sort)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/src/main.o
UNIT_SRC := $(shell find tests/unit -name '*.c' 2>/dev/null | sort)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
SCHEMAS := $(sort $(wildcard contracts/v1/*.json))
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))
PG_MIGRATIONS := $(sort $(wildcard src/store/migrations/postgres/*.sql))

.PHONY: all run test deps fuzz bench format check-format clean unit-test api-test fuzz-replay
all: $(BUILD)/matchd

# ---- dependencies (Debian 12). The stamp keeps a second run fast. ----
DEB_PKGS := build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev \
  libpq-dev libcurl4-openssl-dev libssl-dev libpoppler-glib-dev libcairo2-dev \
  libutf8proc-dev libstemmer-dev libcriterion-dev python3 python3-pytest python3-requests clang \
  sqlite3 openssl curl python3-jsonschema bear postgresql \
  libtesseract-dev tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-spa \
  tesseract-ocr-chi-sim poppler-data poppler-utils
DEPS_STAMP := build/.deps-stamp
deps: $(DEPS_STAMP)
$(DEPS_STAMP): Makefile
	@mkdir -p build
	@if dpkg -s $(DEB_PKGS) >/dev/null 2>&1; then :; \
	 else echo "installing Debian packages: $(DEB_PKGS)"; \
	   if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	   $$SUDO apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEB_PKGS); \
	 fi
	@touch $@

# ---- generated sources: migrations and contracts embedded at build time ----
$(BUILD)/gen/migrations.h: $(MIGRATIONS) scripts/embed.py
	@mkdir -p $(@D)
	$(PYTHON) scripts/embed.py migrations $(MIGRATIONS) > $@
$(BUILD)/gen/migrations_pg.h: $(PG_MIGRATIONS) scripts/embed.py
	@mkdir -p $(@D)
	$(PYTHON) scripts/embed.py pg_migrations $(PG_MIGRATIONS) > $@
$(BUILD)/gen/contracts.h: $(SCHEMAS) scripts/embed.py scripts/openapi.py
	@mkdir -p $(@D)
	$(PYTHON) scripts/openapi.py contracts/v1 > $(BUILD)/gen/openapi.json
	$(PYTHON) scripts/embed.py contracts $(SCHEMAS) $(BUILD)/gen/openapi.json > $@

$(BUILD)/obj/%.o: %.c | $(BUILD)/gen/migrations.h $(BUILD)/gen/migrations_pg.h $(BUILD)/gen/contracts.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c | $(BUILD)/gen/migrations.h $(BUILD)/gen/migrations_pg.h $(BUILD)/gen/contracts.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags criterion) -Itests -c $< -o $@

$(BUILD)/libmatchd.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/matchd: $(MAIN_OBJ) $(BUILD)/libmatchd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# ---- tests ----
# Unit tests share helpers at the top of tests/unit (test_file.h).
$(UNIT_OBJ): ALL_CFLAGS += -Itests/unit
$(BUILD)/tests/unit: $(UNIT_OBJ) $(BUILD)/libmatchd.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(shell $(PKG_CONFIG) --libs criterion)

$(BUILD)/fuzz/%: fuzz/%.c fuzz/replay_main.c $(BUILD)/libmatchd.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< fuzz/replay_main.c $(BUILD)/libmatchd.a $(ALL_LDFLAGS) $(LIBS)

test: deps
	@$(MAKE) --no-print-directory all $(BUILD)/tests/unit $(FUZZ_REPLAY)
	@scripts/run-tests.sh $(BUILD)

unit-test: $(BUILD)/tests/unit
	$(BUILD)/tests/unit

fuzz-replay: $(FUZZ_REPLAY)
	@for f in $(FUZZ_REPLAY); do n=$$(basename $$f); $$f fuzz/corpus/$${n#fuzz_} fuzz/regression/$${n#fuzz_}; done

api-test: all
	MATCHD_BIN=$(BUILD)/matchd $(PYTHON) -m pytest -q tests/api

# ---- run ----
run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh $(BUILD)/matchd

# ---- fuzzing with libFuzzer (clang) ----
# The library is built once with clang's fuzzer instrumentation; each harness links to it.
FUZZ_SECONDS ?= 60
FZ := build/libfuzzer
FZ_CFLAGS = -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	-Isrc -I$(BUILD)/gen $(PKG_CFLAGS) -MMD -MP
FZ_OBJ := $(LIB_SRC:%.c=$(FZ)/obj/%.o)
-include $(FZ_OBJ:.o=.d)
$(FZ)/obj/%.o: %.c | $(BUILD)/gen/migrations.h $(BUILD)/gen/migrations_pg.h $(BUILD)/gen/contracts.h
	@mkdir -p $(@D)
	clang $(FZ_CFLAGS) -c $< -o $@
$(FZ)/libmatchd.a: $(FZ_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(FZ)/fuzz_%: fuzz/fuzz_%.c $(FZ)/libmatchd.a
	clang $(FZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FZ)/libmatchd.a $(LIBS)
fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_SRC:fuzz/%.c=$(FZ)/%)
	@for h in $(FUZZ_SRC:fuzz/%.c=$(FZ)/%); do n=$$(basename $$h); n=$${n#fuzz_}; \
	  echo "== $$n"; mkdir -p fuzz/corpus/$$n fuzz/regression/$$n; \
	  $$h -max_total_time=$(FUZZ_SECONDS) $$( [ -f fuzz/$$n.dict ] && echo -dict=fuzz/$$n.dict ) \
	    -artifact_prefix=fuzz/regression/$$n/ fuzz/corpus/$$n fuzz/regression/$$n || exit 1; \
	done

bench: all
	@for b in bench/*.sh; do echo "== $$b"; $$b $(BUILD)/matchd || exit 1; done

# ---- formatting ----
FORMAT_SRC = $(shell find src tests/unit fuzz -name '*.[ch]')
format:
	clang-format -i $(FORMAT_SRC)
check-format:
	@clang-format --dry-run --Werror $(FORMAT_SRC)

compile_commands.json:
	$(MAKE) clean
	bear -- $(MAKE) all $(BUILD)/tests/unit

clean:
	rm -rf build/matchd build/obj build/gen build/tests build/fuzz build/libmatchd.a build/asan* build/ubsan* build/libfuzzer

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
