#!/bin/bash
# Issue 9 item 2: -o/--output never replaces what it must not.  Only an
# absent path or a regular file is replaced (atomically); a character
# device, a FIFO and a symlink are opened and written through, as docker
# save -o does; a directory is an error.  Device nodes, FIFOs and symlinks
# are made in this test's temp dir -- never the machine's /dev.
source "$(dirname "$0")/lib.sh"
need_root
cd "$T" || bail "no temp dir"

mkdir -p root/etc
echo 'hello' >root/hello.txt
printf 'ID=debian\nVERSION_ID="12"\n' >root/etc/os-release
"$PYOCI" import root -t out:1 >/dev/null || bail "import"
SIZE=$("$PYOCI" save out:1 -o ref.tar && stat -c %s ref.tar)

# node_intact DESC PATH TYPE MAJ:MIN: still that node (find -type letter)
node_intact() {
  is "$(stat -c '%F %t:%T' "$2")" "$3" "$1: still a $3"
}

# every writer: VERB ARGS... with -o/--output/--iidfile PATH appended
writers=(
  "save:$PYOCI save out:1 -o"
  "sbom:$PYOCI sbom out:1 -o"
  "scan:$PYOCI scan --scanners secret -f json out:1 -o"
  "lint:$PYOCI lint --exit-code 0 bctx/Dockerfile -o"
  "layers-free iidfile:$PYOCI build -q --iidfile"
)
mkdir -p bctx && printf 'FROM out:1\nLABEL x=1\n' >bctx/Dockerfile

for w in "${writers[@]}"; do
  name=${w%%:*}
  cmd=${w#*:}
  extra=()
  [ "$name" = "layers-free iidfile" ] && extra=(bctx) && name=iidfile
  d=$T/w-$name
  mkdir -p "$d"
  # a character device (the numbers of /dev/null, made here)
  mknod "$d/null" c 1 3
  chmod 666 "$d/null"
  run $cmd "$d/null" "${extra[@]}"
  is "$rc" 0 "$name -o CHARDEV: succeeds (bytes go to the device)"
  node_intact "$name -o CHARDEV" "$d/null" "character special file 1:3"
  # /dev/full's numbers: the write error is reported, the node stays
  mknod "$d/full" c 1 7
  run $cmd "$d/full" "${extra[@]}"
  is "$rc" 1 "$name -o /dev/full-like device: fails"
  like "$err" "No space left on device" "$name -o full device: says why"
  node_intact "$name -o full device" "$d/full" "character special file 1:7"
  # a FIFO with a reader: the reader gets the bytes
  mkfifo "$d/pipe"
  (cat "$d/pipe" >"$d/from-pipe") &
  reader=$!
  run timeout 60 $cmd "$d/pipe" "${extra[@]}"
  wait "$reader"
  is "$rc" 0 "$name -o FIFO: succeeds"
  ok $([ -p "$d/pipe" ] && [ -s "$d/from-pipe" ]; echo $?) "$name -o FIFO: still a FIFO, and its reader got the bytes"
  # a symlink: followed, the link stays
  echo old >"$d/target"
  ln -s target "$d/link"
  run $cmd "$d/link" "${extra[@]}"
  is "$rc" 0 "$name -o SYMLINK: succeeds"
  ok $([ -L "$d/link" ] && [ "$(readlink "$d/link")" = target ] && [ "$(cat "$d/target")" != old ]; echo $?) \
    "$name -o SYMLINK: the link stays, its target got the output"
  # a regular file is replaced, an absent path created, no temp file left
  echo old >"$d/file"
  run $cmd "$d/file" "${extra[@]}"
  ok $([ "$rc" = 0 ] && [ -f "$d/file" ] && [ "$(cat "$d/file")" != old ]; echo $?) "$name -o FILE: replaced"
  run $cmd "$d/new" "${extra[@]}"
  ok $([ "$rc" = 0 ] && [ -s "$d/new" ]; echo $?) "$name -o NEW: created"
  run $cmd "$d" "${extra[@]}"
  is "$rc" 1 "$name -o DIR: an error"
  like "$err" "Is a directory" "$name -o DIR: says so"
  is "$(ls -A "$d" | grep -c tmp)" 0 "$name: no temp file left beside the outputs"
done

is "$(stat -c %s w-save/new)" "$SIZE" "save: the archive written through a device path is the same size as to a file"
cmp -s ref.tar w-save/from-pipe
ok $? "save -o FIFO: the reader got exactly the archive"
done_testing
