#!/usr/bin/env bash
# `make run`: serve on the SQLite default with a demo workspace and a fresh API key, and print
# a first request to try. The database lives in ./var/; a second run reuses it and adds a key.
set -euo pipefail
bin=${1:-build/matchd}
cd "$(dirname "$0")/.."
export MATCHD_DATABASE_URL=${MATCHD_DATABASE_URL:-sqlite:./var/matchd.db}
export MATCHD_LISTEN=${MATCHD_LISTEN:-127.0.0.1:8080}
mkdir -p var

# Creating the workspace fails harmlessly when an earlier run made it already.
"$bin" workspaces create demo --credits 1000 >/dev/null 2>&1 || true
key=$("$bin" keys create --workspace demo --permissions all | tail -n 1)
cv=../shared/data/cv/pdfs/11_resume-matcher_barry-allen_moderncv.pdf
[ -f "$cv" ] || cv=path/to/cv.pdf

cat <<MSG

matchd is starting on http://$MATCHD_LISTEN (database $MATCHD_DATABASE_URL).
A demo workspace with 1000 credits and a new API key (shown once):

  export MATCHD_API_KEY=$key

A first request to try, in another terminal:

  curl -s -H "Authorization: Bearer \$MATCHD_API_KEY" \\
    -F cv_file=@$cv \\
    --form-string job_description='Senior Python engineer with PostgreSQL and Kubernetes' \\
    --form-string 'requirements={"skills":{"must_have":["Python",{"name":"PostgreSQL","min_years":2}],"nice_to_have":["Kubernetes"]},"experience":{"min_years":3}}' \\
    http://$MATCHD_LISTEN/api/v1/cvdeepmatch/submit

  # then: curl -s -H "Authorization: Bearer \$MATCHD_API_KEY" http://$MATCHD_LISTEN/api/v1/cvdeepmatch/<id>
  # or, with a progress bar: $bin submit cv --file $cv --jd <(echo 'Python engineer') --server http://$MATCHD_LISTEN

Stop with Ctrl-C (graceful: in-flight requests finish, running jobs are handed back).

MSG
exec "$bin" serve
