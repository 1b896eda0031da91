#!/bin/bash
# Issue 9 item 3: a FIFO never hangs pyoci.  Every FIFO here has no
# writer, so any blocking open of it would wait forever; each command runs
# under `timeout 60` and exit 124 means it hung.  What is read as content
# (Dockerfile, .dockerignore, an image's etc/passwd) is refused with a
# message naming the file; what is copied (COPY or a bind source) never
# blocks.  A store command run while such a build is refused shows the lock
# is not held by a hung process.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root
make_bb_image || bail "cannot make the bb:1 base image"

C=$T/ctx
ctx() { rm -rf "$C"; mkdir -p "$C"; printf '%s\n' 'FROM bb:1' "$@" >"$C/Dockerfile"; }
b() { run timeout 60 "$PYOCI" build -q -t fifo:1 "$@"; }
not_hung() { ok $([ "$rc" != 124 ]; echo $?) "$1: returns (no hang; rc=$rc)"; }

# Dockerfile is a FIFO
rm -rf "$C" && mkdir -p "$C" && mkfifo "$C/Dockerfile"
b "$C"
not_hung "FIFO Dockerfile"
is "$rc" 1 "FIFO Dockerfile: exit 1"
like "$err" "Dockerfile' is a FIFO, not a regular file" "FIFO Dockerfile: says what it is"

# .dockerignore is a FIFO
ctx 'RUN true'
mkfifo "$C/.dockerignore"
b "$C"
not_hung "FIFO .dockerignore"
is "$rc" 1 "FIFO .dockerignore: exit 1"
like "$err" "\.dockerignore' is a FIFO, not a regular file" "FIFO .dockerignore: says what it is"

# the store lock is free meanwhile: prune and rmi do not wait
run timeout 60 "$PYOCI" images
is "$rc" 0 "after the refused builds the store answers (images)"

# COPY of a FIFO (named, and inside a copied directory)
ctx 'COPY pipe /pipe' 'COPY dir /dir'
mkfifo "$C/pipe"
mkdir "$C/dir" && mkfifo "$C/dir/inner" && echo x >"$C/dir/file"
b "$C"
not_hung "COPY of a FIFO"

# a FIFO as a RUN --mount bind source
ctx 'RUN --mount=type=bind,source=pipe,target=/p test -p /p && echo fifo >/seen || echo other >/seen'
mkfifo "$C/pipe"
b "$C"
not_hung "FIFO bind source"

# an image whose etc/passwd is a FIFO, then USER: never block on it
# (the RUNs themselves must not read it: busybox id would block as well)
ctx 'RUN rm /etc/passwd /etc/group && mkfifo /etc/passwd /etc/group' 'USER 1000' 'RUN true'
b "$C"
not_hung "image etc/passwd is a FIFO, USER 1000"
is "$rc" 1 "image etc/passwd is a FIFO, USER 1000: refused before runc would block on it"
like "$err" "/etc/passwd in the image is a FIFO" "image etc/passwd is a FIFO: says so"
ctx 'RUN rm /etc/passwd && mkfifo /etc/passwd' 'USER app' 'RUN true'
b "$C"
not_hung "image etc/passwd is a FIFO, USER app"
is "$rc" 1 "image etc/passwd is a FIFO, USER app: the name cannot be found"

# lint on a FIFO
mkfifo "$T/lintpipe"
run timeout 60 "$PYOCI" lint "$T/lintpipe"
not_hung "lint FIFO"
like "$err" "lintpipe' is a FIFO, not a regular file" "lint FIFO: says what it is"
# a character device is no Dockerfile either
mknod "$T/zero" c 1 5
run timeout 60 "$PYOCI" lint "$T/zero"
like "$err" "zero' is a character device, not a regular file" "lint on a character device: refused"

# --secret src= may be a stream on purpose (a pipe with a writer)
ctx 'RUN --mount=type=secret,id=s cat /run/secrets/s >/got'
run timeout 60 "$PYOCI" build -q -t fifo:2 --secret id=s,src=<(printf piped-secret) "$C"
is "$rc" 0 "--secret src=<(...) (a pipe with a writer) is read"
done_testing
