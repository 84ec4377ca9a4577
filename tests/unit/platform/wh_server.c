#include "unit/platform/wh_server.h"

#include "base/common.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char server_py[] =
    "import http.server, ssl, sys, time\n"
    "cert, key = sys.argv[1], sys.argv[2]\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "    def do_POST(self):\n"
    "        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))\n"
    "        p, code, out = self.path, 200, b''\n"
    "        if p.startswith('/sleep'):\n"
    "            time.sleep(5)\n"
    "        if p.startswith('/status/'):\n"
    "            code = int(p.split('/')[2])\n"
    "        if p.startswith('/big'):\n"
    "            out = b'x' * 100000\n"
    "        if p.startswith('/echo'):\n"
    "            h = self.headers\n"
    "            out = ('id=%s|ts=%s|sig=%s|ua=%s|ct=%s|body=' % (h['webhook-id'],\n"
    "                   h['webhook-timestamp'], h['webhook-signature'], h['User-Agent'],\n"
    "                   h['Content-Type'])).encode() + body\n"
    "        self.send_response(code)\n"
    "        if 300 <= code < 400:\n"
    "            self.send_header('Location', 'https://127.0.0.1:%d/status/200'\n"
    "                             % self.server.server_port)\n"
    "        self.send_header('Content-Length', str(len(out)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(out)\n"
    "srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "srv.daemon_threads = True\n"
    "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "ctx.load_cert_chain(cert, key)\n"
    "srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
    "print(srv.server_port, flush=True)\n"
    "srv.serve_forever()\n";

/* Forks and execs argv with stdout to out_fd (or /dev/null); returns the pid or -1. */
static pid_t spawn(const char *const argv[], int out_fd)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(out_fd >= 0 ? out_fd : devnull, 1);
		dup2(devnull, 2);
	}
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

/* Runs argv to completion; returns its exit status, or -1. */
static int run(const char *const argv[])
{
	pid_t pid = spawn(argv, -1);
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t n = strlen(text);
	int ok = fwrite(text, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int make_cert(struct wh_server *s, char *key, size_t cap)
{
	if (md_snprintf(key, cap, "%s/key.pem", s->dir) ||
	    md_snprintf(s->ca_file, sizeof s->ca_file, "%s/cert.pem", s->dir))
		return -1;
	const char *argv[] = { "openssl",
		               "req",
		               "-x509",
		               "-newkey",
		               "ec",
		               "-pkeyopt",
		               "ec_paramgen_curve:prime256v1",
		               "-nodes",
		               "-days",
		               "1",
		               "-subj",
		               "/CN=localhost",
		               "-addext",
		               "subjectAltName=DNS:localhost,IP:127.0.0.1",
		               "-keyout",
		               key,
		               "-out",
		               s->ca_file,
		               NULL };
	return run(argv) == 0 ? 0 : -1;
}

/* Reads the port line the receiver prints once it listens, waiting up to 10 s. */
static int read_port(int fd)
{
	char line[16];
	size_t n = 0;
	while (n < sizeof line - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 10000) <= 0)
			return -1;
		ssize_t got = read(fd, line + n, 1);
		if (got <= 0)
			return -1;
		if (line[n] == '\n')
			break;
		n += (size_t)got;
	}
	line[n] = '\0';
	char *end;
	long port = strtol(line, &end, 10);
	return end != line && port > 0 && port < 65536 ? (int)port : -1;
}

static bool have_tools(void)
{
	const char *openssl[] = { "openssl", "version", NULL };
	const char *python[] = { "python3", "-c", "import ssl, http.server", NULL };
	return run(openssl) == 0 && run(python) == 0;
}

int wh_server_start(struct wh_server *s)
{
	memset(s, 0, sizeof *s);
	s->pid = -1;
	if (!have_tools())
		return 1;
	if (md_snprintf(s->dir, sizeof s->dir, "/tmp/matchd-wh-XXXXXX") || !mkdtemp(s->dir))
		return -1;
	char key[96], script[96];
	if (make_cert(s, key, sizeof key) ||
	    md_snprintf(script, sizeof script, "%s/srv.py", s->dir) ||
	    write_file(script, server_py))
		return -1;
	int fds[2];
	if (pipe(fds))
		return -1;
	const char *argv[] = { "python3", "-u", script, s->ca_file, key, NULL };
	s->pid = spawn(argv, fds[1]);
	close(fds[1]);
	s->port = s->pid > 0 ? read_port(fds[0]) : -1;
	close(fds[0]);
	return s->port > 0 ? 0 : -1;
}

void wh_server_stop(struct wh_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		s->pid = -1;
	}
	if (!s->dir[0])
		return;
	DIR *d = opendir(s->dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[192];
		if (e->d_name[0] != '.' &&
		    md_snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name) == 0)
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(s->dir);
	s->dir[0] = '\0';
}

int wh_closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}
