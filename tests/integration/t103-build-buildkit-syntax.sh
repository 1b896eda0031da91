#!/bin/bash
# Dockerfile syntax only BuildKit understands (heredocs, COPY --chmod,
# --link).  This host's docker has the classic builder only, so these are
# checked against the behaviour the Dockerfile reference documents.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root
make_bb_image || bail "cannot make the bb:1 base image"

ctx=$T/ctx
mkdir -p "$ctx"
echo "plain" >"$ctx/f.txt"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
# syntax=docker/dockerfile:1
FROM bb:1
ARG NAME=world
RUN <<EOF
echo "hello from a heredoc" > /heredoc-run
echo "second line ran too" >> /heredoc-run
EOF
COPY <<EOF /etc/greeting
hello ${NAME}
EOF
COPY <<"EOF" /etc/literal
not expanded: ${NAME}
EOF
COPY --chmod=0750 f.txt /opt/mode750
COPY --link f.txt /opt/linked
RUN <<-EOT
	echo tabs stripped > /tabs
	EOT
DOCKERFILE

run "$PYOCI" build -q -t heredoc:1 "$ctx"
is "$rc" 0 "BuildKit syntax builds: $err"
"$PYOCI" save -o "$T/img.tar" heredoc:1
python3 "$TOP/tests/tools/imgtree.py" tree "$T/img.tar" >"$T/tree"
extract() { image_file "$T/img.tar" "$1"; } # PATH -> file content from the saved image
is "$(extract heredoc-run)" "hello from a heredoc
second line ran too" "RUN <<EOF runs the whole body as one script"
is "$(extract etc/greeting)" "hello world" "COPY <<EOF writes the body, variables expanded"
is "$(extract etc/literal)" 'not expanded: ${NAME}' "COPY <<\"EOF\" (quoted) keeps \$ literal"
is "$(extract tabs)" "tabs stripped" "<<- strips leading tabs"
like "$(grep '^opt/mode750 ' "$T/tree")" '^opt/mode750 file 0750 0 0 ' "COPY --chmod=0750 sets the mode"
like "$(grep '^opt/linked ' "$T/tree")" '^opt/linked file 0644 0 0 ' "COPY --link is accepted and copies"
done_testing
