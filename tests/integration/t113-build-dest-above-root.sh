#!/bin/bash
# Issue 9 item 7: a COPY/ADD destination whose ".." climbs above "/" is
# clamped at the root, as BuildKit resolves destinations (continuity's
# fs.RootPath; moby/buildkit#2131: "it is ok to take parent of root, it just
# means root itself"): /a/b/../../../c/y is /c/y.  pyoci once dropped the
# directories and wrote /f.  Each case is built by pyoci and by BuildKit and
# compared by build-conf.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-conf.sh"
need_root
need_docker
make_bb_image || bail "cannot make the bb:1 base image"

conf_case dest-above-root-file "issue 9 item 7: COPY f /a/b/../../../c/y"
cf f one
df <<'EOF'
FROM scratch
COPY f /a/b/../../../c/y
EOF
conf_case dest-above-root-arg "issue 9 item 7: the climbing destination comes from an ARG"
cf f two
df <<'EOF'
FROM scratch
ARG UP=../../../../c
COPY f /a/b/${UP}/z
EOF
conf_case dest-above-root-workdir "issue 9 item 7: a relative destination climbs above the WORKDIR and /"
cf f three
df <<'EOF'
FROM bb:1
WORKDIR /w/x
COPY f ../../../../up/x
EOF
conf_case dest-above-root-dir "issue 9 item 7: a directory source into a climbing directory destination"
cf d/one 1; cf d/sub/two 2
df <<'EOF'
FROM scratch
COPY d /../../dd/
EOF
conf_case dest-above-root-add "issue 9 item 7: ADD extracts an archive into a climbing destination"
mkdir -p "$T/src/t" && echo inside >"$T/src/t/in" && tar -C "$T/src/t" --owner=0 --group=0 -cf "$C/t.tar" in
df <<'EOF'
FROM scratch
ADD t.tar /x/../../ex/
EOF
conf_case dest-above-root-heredoc "issue 9 item 7: a heredoc's climbing destination"
df <<'EOF'
FROM scratch
COPY <<EOT /a/../../h/file
hi
EOT
EOF
conf_no_docker "the local BuildKit (v0.8) has no heredocs"
conf_newer "heredocs are dockerfile:1.4's; BuildKit resolves their destination as COPY's" all \
  "h dir 0755 0 0 0 -" "h/file file 0644 0 0 3 sha256:$(printf 'hi\n' | sha256sum | cut -d' ' -f1)"

conf_run
# and the paths themselves, whatever BuildKit did
has() { # has CASE LINE-PREFIX: pyoci's image holds a tree line starting so
  python3 "$TOP/tests/tools/imgtree.py" tree "$T/conf/$1/pyoci.tar" 2>/dev/null | grep -q "^$2"
  ok $? "$1: pyoci wrote $2"
}
has dest-above-root-file "c/y file "
has dest-above-root-arg "c/z file "
has dest-above-root-workdir "up/x file "
has dest-above-root-dir "dd/sub/two file "
has dest-above-root-add "ex/in file "
done_testing
