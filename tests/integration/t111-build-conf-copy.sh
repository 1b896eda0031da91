#!/bin/bash
# The conformance suite, part 3: COPY, ADD and .dockerignore, each case
# adapted from a BuildKit test (moby/buildkit frontend/dockerfile/
# dockerfile_*_test.go, named per case) or a moby build test
# (integration-cli/docker_cli_build_test.go), built by pyoci and by BuildKit
# and compared by build-conf.sh.  The Go tests' busybox/alpine bases are
# bb:1 here (busybox-static with users app:1000 and nobody, group staff:50).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-conf.sh"
need_root
need_docker
make_bb_image || bail "cannot make the bb:1 base image"
mksock() { python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], int(sys.argv[2], 8))' "$@"; }
mktar() { # TAR NAME:TYPE[:CONTENT-OR-TARGET]... (TYPE f, d, l)
  python3 - "$@" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz" if sys.argv[1].endswith("gz") else "w") as t:
    for spec in sys.argv[2:]:
        name, kind, val = (spec.split(":", 2) + [""])[:3]
        i = tarfile.TarInfo(name); i.mtime = 1600000000; i.mode = 0o644
        if kind == "d": i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
        elif kind == "l": i.type = tarfile.SYMTYPE; i.linkname = val; i.mode = 0o777; t.addfile(i)
        else: i.size = len(val); t.addfile(i, io.BytesIO(val.encode()))
PY
}

# ---- symlinks among the sources (issue 8 point 4) ----
conf_case copy-symlinks "testCopySymlinks (dockerfile_copy_test.go)"
cf bar bar-contents; ln -s bar "$C/foo"; mkdir "$C/sub"; cf sub/lfile lfile-contents
ln -s subfile "$C/sub/l0"; cf sub/subfile subfile-contents; ln -s second "$C/sub/l1"; ln -s baz "$C/sub/second"
cf sub/baz baz-contents
df <<'EOF'
FROM scratch
COPY foo /
COPY sub/l* alllinks/
EOF
conf_case copy-follow-all-symlinks "testCopyFollowAllSymlinks (dockerfile_copy_test.go)"
cf bar bar-contents; mkdir -m 0700 "$C/foo"; ln -s ../bar "$C/foo/sub"
df <<'EOF'
FROM scratch
COPY foo /
COPY foo/sub bar
EOF
conf_case copy-through-symlink-context "testCopyThroughSymlinkContext (dockerfile_copy_test.go)"
ln -s sub "$C/link"; mkdir -m 0700 "$C/sub"; cf sub/foo contents
df <<'EOF'
FROM scratch
COPY link/foo .
EOF
conf_case copy-through-symlink-multistage "testCopyThroughSymlinkMultiStage (dockerfile_copy_test.go)"
df <<'EOF'
FROM bb:1 AS build
RUN mkdir -p /out/sub && ln -s /out/sub /sub && ln -s out/sub /sub2 && echo -n "data" > /sub/foo
FROM scratch
COPY --from=build /sub/foo .
COPY --from=build /sub2/foo bar
EOF
conf_case copy-link-to-dir "testCopyFollowAllSymlinks (dockerfile_copy_test.go), a named link to a directory"
mkdir "$C/real"; cf real/a; ln -s real "$C/dlink"; ln -s a "$C/real/alink"
df <<'EOF'
FROM bb:1
COPY dlink /dl/
COPY dlink /dl2
EOF
conf_case copy-wildcard-links-chmod "testCopySymlinks (dockerfile_copy_test.go), links matched by a wildcard keep the target's mode"
cf target.sh '#!/bin/sh'; chmod 0750 "$C/target.sh"; ln -s target.sh "$C/run-a"; ln -s target.sh "$C/run-b"
df <<'EOF'
FROM bb:1
COPY run-* /bin2/
EOF

# ---- destinations through symlinks in the image (point 5) ----
conf_case symlink-destination "testSymlinkDestination (dockerfile_core_test.go)"
cf foo content0; mktar "$C/t.tar" "symlink:l:../tmp/symlink-target"
df <<'EOF'
FROM scratch
ADD t.tar /
COPY foo /symlink/
EOF
conf_case dangling-dest-dir "testSymlinkDestination (dockerfile_core_test.go), absolute link two levels deep"
cf a.txt a
df <<'EOF'
FROM bb:1
RUN ln -s /nonexist/deep /dangle
COPY a.txt /dangle/
EOF
conf_case dangling-dest-file "testSymlinkDestination (dockerfile_core_test.go), link as the file name"
cf a.txt a
df <<'EOF'
FROM bb:1
RUN ln -s /made /dangle2 && ln -s ../tmp/t /dangle3
COPY a.txt /dangle2
COPY a.txt /dangle3/x/
EOF
conf_case dest-link-to-dir "testSymlinkDestination (dockerfile_core_test.go), link to an existing directory"
cf a.txt a
df <<'EOF'
FROM bb:1
RUN mkdir -p /srv/data && ln -s /srv/data /data
COPY a.txt /data/
COPY a.txt /data/sub/
EOF
conf_case workdir-through-dangling-link "testSymlinkDestination (dockerfile_core_test.go), WORKDIR through a dangling link"
df <<'EOF'
FROM bb:1
RUN ln -s /opt/app /app
WORKDIR /app/src
RUN pwd > /tmp/pwd
EOF

# ---- wildcards (points 6, 7) ----
conf_case empty-wildcard "testEmptyWildcard (dockerfile_copy_test.go)"
cf foo contents0
df <<'EOF'
FROM scratch
COPY foo nomatch* /
EOF
conf_case empty-wildcard-alone "testEmptyWildcard (dockerfile_copy_test.go): nothing at all to copy (AllowEmptyWildcard, convert_copy.go)"
cf foo contents0
df <<'EOF'
FROM bb:1
COPY nomatch* /nm/
EOF
conf_case add-archive-wildcard "testDockerfileAddArchiveWildcard (dockerfile_add_test.go)"
mktar "$C/t.tar" foo:f:content0; mktar "$C/b.tar" bar:f:content1
df <<'EOF'
FROM scratch
ADD *.tar /dest
EOF
conf_case copy-wildcard-many-no-slash "testDockerfileAddArchiveWildcard (dockerfile_add_test.go): the slash rule counts sources as written"
cf a.txt a; cf b.txt b
df <<'EOF'
FROM bb:1
COPY *.txt /dest
EOF
conf_case copy-two-sources-no-slash "moby TestBuildCopyMultipleFilesToFile: BuildKit has no trailing-slash rule (convert_copy.go), the last source wins"
cf a.txt a; cf b.txt b
df <<'EOF'
FROM bb:1
COPY a.txt b.txt /dest
EOF
conf_case copy-wildcards "testCopyWildcards (dockerfile_copy_test.go)"
cf foo.go foo-contents; cf bar.go bar-contents; mkdir -p "$C/sub/dir1/dir2"; cf sub/dir1/dir2/foo foo-contents
df <<'EOF'
FROM scratch
COPY *.go /gofiles/
COPY f*.go foo2.go
COPY sub/* /subdest/
COPY sub/*/dir2/foo /subdest2/
COPY sub/*/dir2/foo /subdest3/bar
COPY . all/
COPY sub/dir1/ subdest4
COPY sub/dir1/. subdest5
COPY sub/dir1 subdest6
EOF
conf_case copy-wildcard-in-name "moby TestBuildCopyWildcardInName"
cf 'robots?.txt' r; cf 'robots1.txt' one
df <<'EOF'
FROM bb:1
COPY robots?.txt /r/
EOF
conf_case copy-wildcard-class "moby TestBuildCopyWildcard: [] classes"
cf file1.txt 1; cf file2.txt 2; cf file3.md 3
df <<'EOF'
FROM bb:1
COPY file[12].* /w/
EOF

# ---- special files (point 8) ----
conf_case copy-socket "testCopySocket (dockerfile_copy_test.go)"
mksock "$C/socket.sock" 0600
df <<'EOF'
FROM scratch
COPY . /
EOF
conf_case copy-socket-modes "testCopySocket (dockerfile_copy_test.go): the socket's mode is kept"
mkdir "$C/d"; mksock "$C/d/s1" 0755; mksock "$C/d/s2" 0640; cf d/file x
df <<'EOF'
FROM bb:1
COPY d /d/
EOF

# ---- ADD archives ----
conf_case add-archive "testDockerfileAddArchive (dockerfile_add_test.go)"
mktar "$C/t.tar" foo:f:content0; mktar "$C/t.tar.gz" foo2:f:content1; cf plain.tar "not a tar"
df <<'EOF'
FROM scratch
ADD t.tar /
ADD t.tar.gz /newdir
ADD plain.tar /plain/
EOF
conf_case add-archive-implied-parent "testDockerfileAddArchiveWithImpliedParentDir (dockerfile_add_test.go)"
mktar "$C/t.tar" "a/b/foo:f:content0"
df <<'EOF'
FROM scratch
ADD t.tar /
EOF
conf_case add-archive-through-abs-symlink "testDockerfileAddArchiveThroughAbsoluteSymlink (dockerfile_add_test.go)"
mktar "$C/t.tar" "symlink:l:/tmp/dir" "symlink/foo:f:content0"
df <<'EOF'
FROM bb:1
ADD t.tar /
EOF
conf_newer "testDockerfileAddArchiveThroughAbsoluteSymlink: the link is followed inside the root (v0.8: error)" all \
  "tmp/dir/foo file 0644 0 0 8 sha256:$(printf content0 | sha256sum | cut -d' ' -f1)" 'symlink symlink 0777 0 0 0 /tmp/dir'
conf_case add-chown-archive "testDockerfileAddChownArchive (dockerfile_add_test.go)"
mktar "$C/t.tar.gz" "foo:f:content0"
df <<'EOF'
FROM bb:1
ADD --chown=app:staff t.tar.gz /out/
EOF
conf_newer "dispatchCopy: the history names --chown" history 'history: ADD --chown=app:staff t.tar.gz /out/ # buildkit'
conf_case add-chown-expand "testDockerfileAddChownExpand (dockerfile_add_test.go)"
cf foo contents
conf_args --build-arg group=staff
df <<'EOF'
FROM bb:1
ARG group
ENV owner 1000
ADD --chown=${owner}:${group} foo /
RUN stat -c "%u %g" /foo > /owner
EOF
conf_newer "dispatchCopy names --chown, dispatchArg the --build-arg value" history \
  'history: ARG group=staff' 'history: ADD --chown=1000:staff foo / # buildkit'
conf_case add-plain-file-to-dir "moby TestBuildAddSingleFileToExistDir"
cf test_file content
df <<'EOF'
FROM bb:1
RUN mkdir /exists && touch /exists/exists_file && chown -R app:app /exists
ADD test_file /exists/
RUN stat -c '%n %U %G %a %s' /exists/* > /listing
EOF
conf_case add-tar-xz "moby TestBuildAddTarXz"
mktar "$C/t.tar" "test/foo:f:Hi"; xz -k "$C/t.tar"; rm "$C/t.tar"
df <<'EOF'
FROM bb:1
ADD t.tar.xz /
EOF

# ---- ownership and modes ----
conf_case copy-chown "testCopyChown (dockerfile_copy_test.go)"
cf foo foo-contents; mkdir -m 0700 "$C/bar"; cf bar/sub ''
conf_args --build-arg group=nogroup
df <<'EOF'
FROM bb:1 AS base
ENV owner 1000
RUN mkdir -m 0777 /out
COPY --chown=app foo /
COPY --chown=1000:nogroup bar /baz
ARG group
COPY --chown=${owner}:${group} foo /foobis
RUN stat -c "%U %G" /foo  > /out/fooowner
RUN stat -c "%u %G" /baz/sub  > /out/subowner
RUN stat -c "%u %G" /foobis  > /out/foobisowner
FROM scratch
COPY --from=base /out /
EOF
conf_case copy-chmod "testCopyChmod (dockerfile_copy_test.go)"
cf foo foo-contents; cf bar bar-contents; chmod 0600 "$C/foo"; chmod 0700 "$C/bar"
conf_args --build-arg mode=755
df <<'EOF'
FROM bb:1
COPY --chmod=0644 foo /
COPY --chmod=777 bar /baz
COPY --chmod=0 foo /foobis
COPY --chmod=777 foo /parent/foo
COPY --chmod=770 foo /parent/sub/foo
ARG mode
COPY --chmod=${mode} foo /footer
EOF
sum=$(printf foo-contents | sha256sum | cut -d' ' -f1)
conf_newer 'testCopyChmod: --chmod=${mode} is expanded (v0.8 leaves it 0600); the history names --chmod' all \
  "footer file 0755 0 0 12 sha256:$sum" "foobis file 0000 0 0 12 sha256:$sum" "baz file 0777 0 0 12 sha256:$(printf bar-contents | sha256sum | cut -d' ' -f1)" \
  'parent/sub dir 0755 0 0 0 -' 'history: COPY --chmod=755 foo /footer # buildkit'
conf_case copy-chown-existing-dir "testCopyChownExistingDir (dockerfile_copy_test.go)"
df <<'EOF'
FROM bb:1 AS source
RUN touch /file && chown 100:200 /file && mkdir -p /dir/subdir && touch /dir/subdir/nestedfile && chown 100:200 /dir /dir/subdir /dir/subdir/nestedfile
FROM bb:1 AS test_base
RUN mkdir -p /existingdir/existingsubdir && touch /existingdir/existingfile && chown 500:600 /existingdir /existingdir/existingsubdir /existingdir/existingfile
FROM test_base
COPY --from=source /file .
COPY --from=source /dir /dir
COPY --from=source /dir/. /existingdir
COPY --from=source --chown=300:400 /file /chowned
COPY --from=source --chown=300:400 /dir /dir2
EOF
conf_newer "dispatchCopy: the history names --chown" history 'history: COPY --chown=300:400 /dir /dir2 # buildkit'
conf_case copy-chown-create-dest "testCopyChownCreateDest (dockerfile_copy_test.go)"
cf f x
conf_args --build-arg group=staff
df <<'EOF'
FROM bb:1
ARG group
ENV owner app
RUN echo 'user:x:1001:1001::/home/user:/bin/sh' >> /etc/passwd && echo 'user:x:1001:' >> /etc/group
COPY --chown=user:user . /dest
COPY --chown=${owner}:${group} . /dest01
EOF
conf_newer "dispatchCopy names --chown, dispatchArg the --build-arg value" history \
  'history: ARG group=staff' 'history: COPY --chown=app:staff . /dest01 # buildkit'
conf_case copy-modes-kept "moby TestBuildCopyAddMultipleFiles: modes come from the context"
cf exec.sh x; chmod 0755 "$C/exec.sh"; cf ro.txt x; chmod 0400 "$C/ro.txt"; mkdir -m 0700 "$C/priv"; cf priv/f x
df <<'EOF'
FROM bb:1
COPY exec.sh ro.txt /m/
COPY priv /m/priv
EOF

# ---- paths ----
conf_case copy-override-files "testCopyOverrideFiles (dockerfile_copy_test.go)"
mkdir -p -m 0700 "$C/sub/dir1/dir2"; cf sub/dir1/dir2/foo foo-contents; mkdir -m 0700 "$C/files"; cf files/foo.go foo.go-contents
df <<'EOF'
FROM scratch AS base
COPY sub sub
COPY sub sub
COPY files/foo.go dest/foo.go
COPY files/foo.go dest/foo.go
COPY files dest
EOF
conf_case copy-var-substitution "testCopyVarSubstitution (dockerfile_copy_test.go)"
cf bar bar-contents
df <<'EOF'
FROM scratch AS base
ENV FOO bar
COPY $FOO baz
EOF
conf_case copy-relative "testCopyRelative (dockerfile_copy_test.go)"
cf foo hello
df <<'EOF'
FROM bb:1
WORKDIR /test1
WORKDIR test2
COPY foo ./
ADD foo ./bar/baz
COPY foo ./bar/baz2
WORKDIR ..
COPY foo ./
COPY foo /test3/
WORKDIR /test4
COPY . .
WORKDIR /test5/test6
COPY foo ../
EOF
conf_case empty-dest-dir "testEmptyDestDir (dockerfile_copy_test.go)"
cf testfile contents0
df <<'EOF'
FROM bb:1
ENV empty=""
COPY testfile $empty
EOF
conf_case preserve-dest-dir-slash "testPreserveDestDirSlash (dockerfile_copy_test.go)"
cf testfile contents0
df <<'EOF'
FROM bb:1
COPY testfile /sample/
EOF
conf_case copy-unicode-path "testCopyUnicodePath (dockerfile_copy_test.go)"
cf 'test-äöü.txt' foo; cf 'test-%C3%A4%C3%B6%C3%BC.txt' bar; cf 'test+aou.txt' baz
df <<'EOF'
FROM bb:1
COPY test-äöü.txt /
COPY test-%C3%A4%C3%B6%C3%BC.txt /
COPY test+aou.txt /
EOF
conf_case copy-json-form "moby TestBuildCopyFileWithWhitespaceOnWindows (JSON form)"
cf 'test file1' 1; cf 'test file2' 2
df <<'EOF'
FROM bb:1
COPY ["test file1", "/test_file1"]
COPY ["test file2", "/dir/"]
EOF
conf_case copy-file-onto-dir "moby TestBuildAddFileToExistingDir: an existing directory without a slash"
cf f x
df <<'EOF'
FROM bb:1
RUN mkdir /existing
COPY f /existing
COPY f /tmp
EOF
conf_case copy-dir-contents-merge "moby TestBuildAddDirContentToExistingDir"
mkdir -p "$C/test_dir"; cf test_dir/test_file x
df <<'EOF'
FROM bb:1
RUN mkdir /exists && touch /exists/exists_file && chown -R app:app /exists
COPY test_dir/ /exists/
EOF
conf_case copy-whole-dir-to-root "moby TestBuildAddWholeDirToRoot"
mkdir -p "$C/test_dir"; cf test_dir/test_file x
df <<'EOF'
FROM bb:1
COPY test_dir /test_dir
EOF
conf_case copy-etc-to-root "moby TestBuildAddEtcToRoot"
mkdir -p "$C/etc/test_etc"; cf etc/test_etc/f x
df <<'EOF'
FROM scratch
ADD . /
EOF
conf_case copy-replaces-link "moby TestBuildCopyOverLink: a file over an image symlink to a file follows the link"
cf f new
df <<'EOF'
FROM bb:1
RUN echo old > /target && ln -s /target /link
COPY f /link
EOF
conf_case copy-empty-dir "moby TestBuildCopyAddEmptyDir"
mkdir -p "$C/empty" "$C/tree/emptysub"
df <<'EOF'
FROM bb:1
COPY empty /empty/
COPY tree /tree
EOF
conf_case copy-hidden "moby TestBuildAddDotFiles"
cf .hidden h; cf .dir/.x x
df <<'EOF'
FROM bb:1
COPY . /ctx/
EOF
conf_case copy-not-found "moby TestBuildAddFileNotFound"
df <<'EOF'
FROM bb:1
COPY foo /usr/local/bar
EOF
conf_fail
conf_case copy-outside-context "moby TestBuildAddBadLinks: '..' stops at the context root"
cf f x
df <<'EOF'
FROM bb:1
COPY ../f ../../f /x/
EOF
conf_case copy-from-stage-keeps-owner "testCopyChownExistingDir (dockerfile_copy_test.go): --from keeps owners, context files become root's"
cf f x
df <<'EOF'
FROM bb:1 AS a
RUN mkdir -p /o && echo x > /o/f && chown -R 1000:50 /o && chmod 0640 /o/f
FROM bb:1
COPY --from=a /o /from-a/
COPY f /ctx-f
EOF
conf_case workdir-copy-ignore-relative "testWorkdirCopyIgnoreRelative (dockerfile_workdir_test.go)"
df <<'EOF'
FROM scratch AS base
WORKDIR /foo
COPY Dockerfile /
FROM scratch
WORKDIR /bar
COPY --from=base Dockerfile .
EOF

# ---- .dockerignore (point 3) ----
conf_case dockerignore "testDockerignore (dockerfile_dockerignore_test.go)"
cf foo foo-contents; cf bar bar-contents; cf baz baz-contents; cf bay bay-contents
printf 'ba*\nDockerfile\n!bay\n.dockerignore\n' >"$C/.dockerignore"
df <<'EOF'
FROM scratch
COPY . .
EOF
conf_case dockerignore-exceptions-in-ignored-dir "moby TestBuildDockerignore (integration-cli)"
cf Makefile all:; cf .git/HEAD "ref: foo"; cf src/x.go "package main"; cf src/_vendor/v.go "package main"
cf dir/foo ''; cf dir/foo1 ''; cf dir/dir/f1 ''; cf dir/dir/foo ''; cf dir/e ''; cf dir/e-dir/foo ''
cf .gitignore ''; cf README.md readme; cf dir/a.cc hello
printf '.git\npkg\n.gitignore\nsrc/_vendor\n*.md\ndir\n!dir/e*\n!dir/dir/foo\n**/*.cc\n!**/*.cc\n' >"$C/.dockerignore"
df <<'EOF'
FROM bb:1
ADD . /bla
EOF
conf_case dockerignore-wild-dirs "moby TestBuildDockerignoringWildDirs (integration-cli)"
cf .git/HEAD x; cf dir1/dir2/x.go x; cf dir1/dir2/dir3/y.go y; cf dir1/dir2/keep k; cf z.go z
printf '**/*.go\n!dir1/dir2/dir3/*.go\n' >"$C/.dockerignore"
df <<'EOF'
FROM bb:1
COPY . /x
EOF
conf_case dockerignore-named-source "moby TestBuildDockerignoreExceptionsInDir: an excluded directory named as the source"
cf dir/keep.txt k; cf dir/drop.log d; cf dir/sub/keep2.txt k2
printf 'dir\n!dir/*.txt\n' >"$C/.dockerignore"
df <<'EOF'
FROM bb:1
COPY dir /out/
EOF
conf_case dockerignore-comment "moby TestBuildDockerignoreComment"
cf foo x; cf '#1' y; cf '#2' z
printf 'foo\n#1\n  #2\n' >"$C/.dockerignore"
df <<'EOF'
FROM bb:1
COPY . /c/
EOF
conf_case dockerignore-dockerfile-kept "moby TestBuildDockerignoringDockerfile"
printf 'Dockerfile\n' >"$C/.dockerignore"
df <<'EOF'
FROM bb:1
ADD . /tmp/
EOF

conf_run
done_testing
