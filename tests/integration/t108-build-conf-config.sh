#!/bin/bash
# The conformance suite, part 2: RUN, ARG/ENV, USER, WORKDIR, ONBUILD, the
# config instructions, history and layers, each case adapted from a BuildKit
# test (moby/buildkit frontend/dockerfile/dockerfile_*_test.go, or its
# parser testfiles) or a moby build test (integration-cli), named per case;
# built by pyoci and by BuildKit and compared by build-conf.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-conf.sh"
need_root
need_docker
make_bb_image || bail "cannot make the bb:1 base image"

# ---- identical layers (issue 8 point 1) ----
conf_case identical-run-layers "testNoSnapshotLeak (dockerfile_core_test.go): the same step three times"
df <<'EOF'
FROM bb:1
RUN true
RUN true
RUN true
RUN echo done > /done
EOF
conf_case identical-copy-layers "testCopyOverrideFiles (dockerfile_copy_test.go): the same COPY twice, then RUN"
cf f x
df <<'EOF'
FROM bb:1
COPY f /f
COPY f /f
RUN cat /f > /g
COPY f /f
EOF
conf_case identical-layers-across-stages "testMultiStageImplicitFrom (dockerfile_multistage_test.go): a stage repeats its parent's steps"
df <<'EOF'
FROM bb:1 AS a
RUN true
FROM a
RUN true
RUN echo x > /x
EOF

# ---- USER (point 2) ----
conf_case user-additional-gids "testUserAdditionalGids (dockerfile_core_test.go)"
df <<'EOF'
FROM bb:1
RUN id > /tmp/root
USER 1234
RUN id > /tmp/u1234
USER 1234:1234
RUN id > /tmp/u1234g
USER app
RUN id > /tmp/app
EOF
conf_case user-groups "testUser (dockerfile_core_test.go)"
df <<'EOF'
FROM bb:1 AS base
RUN mkdir -m 0777 /out
RUN id -un > /out/rootuser
RUN echo 'dockerio:x:1001:1001::/bin:/bin/false' >> /etc/passwd && echo 'dockerio:x:1001:' >> /etc/group && echo 'supplementary:x:1002:dockerio' >> /etc/group
USER dockerio
RUN id > /out/a
USER 1001
RUN id > /out/b
USER dockerio:dockerio
RUN id > /out/c
USER dockerio:supplementary
RUN id > /out/d
USER 1001:1002
RUN id > /out/e
USER 1042:1043
RUN id > /out/f
FROM scratch
COPY --from=base /out /
USER nobody
EOF
conf_case user-primary-group "testUser (dockerfile_core_test.go): name:group naming the primary group"
df <<'EOF'
FROM bb:1
USER app:app
RUN id > /tmp/id
USER app:staff
RUN id > /tmp/id2
EOF

# ---- WORKDIR (points 11, 12, 13) ----
conf_case workdir-exists "testWorkdirExists (dockerfile_workdir_test.go)"
df <<'EOF'
FROM bb:1
RUN mkdir /mydir && chown app:app /mydir
WORKDIR /mydir
RUN stat -c "%U %G" /mydir > /tmp/owner
WORKDIR /tmp
WORKDIR /
EOF
conf_case workdir-user "testWorkdirUser (dockerfile_workdir_test.go)"
df <<'EOF'
FROM bb:1
USER app
WORKDIR /mydir
RUN stat -c "%U %G" /mydir > /tmp/owner
WORKDIR /deep/er/dir
EOF
conf_case workdir-creates-dir "testWorkdirCreatesDir (dockerfile_workdir_test.go)"
df <<'EOF'
FROM scratch
WORKDIR /foo
WORKDIR /
EOF
conf_case workdir-trailing-slash "moby TestBuildWorkdirWithEnvVariables: an absolute WORKDIR is kept as written"
df <<'EOF'
FROM bb:1
WORKDIR /tmp/
RUN pwd > /pwd1
WORKDIR /newdir/
WORKDIR sub/
RUN pwd > /pwd2
EOF
conf_case workdir-relative "moby TestBuildRelativeWorkdir"
df <<'EOF'
FROM bb:1
RUN pwd > /pwd0
WORKDIR test1
WORKDIR /test2
WORKDIR test3
RUN pwd > /pwd3
WORKDIR ../test4
EOF
conf_case workdir-env "moby TestBuildWorkdirWithEnvVariables"
df <<'EOF'
FROM bb:1
ENV DIRPATH /foo
ENV SUBDIRNAME bar
WORKDIR $DIRPATH/$SUBDIRNAME
EOF
conf_case workdir-user-numeric "testWorkdirUser (dockerfile_workdir_test.go): a numeric USER without passwd entry"
df <<'EOF'
FROM bb:1
USER 1500:1600
WORKDIR /owned
EOF

# ---- proxy build args (point 9) ----
conf_case builtin-args-proxy "testBuiltinArgs (dockerfile_args_test.go)"
conf_args --build-arg FOO=foocontents --build-arg http_proxy=hpvalue --build-arg NO_PROXY=npvalue
df <<'EOF'
FROM bb:1 AS build
ARG FOO
ARG BAR
ARG BAZ=bazcontent
RUN echo -n $HTTP_PROXY::$NO_PROXY::$FOO::$BAR::$BAZ > /out
RUN echo -n $http_proxy::$no_proxy > /out2
FROM scratch
COPY --from=build /out /out2 /
EOF
conf_case proxy-both-spellings "testBuiltinArgs (dockerfile_args_test.go) with both spellings given; convert.go proxyEnvFromBuildArgs"
conf_args --build-arg HTTP_PROXY=http-upper --build-arg http_proxy=http-lower --build-arg HTTPS_PROXY=s
df <<'EOF'
FROM bb:1
RUN echo "$HTTP_PROXY $http_proxy $HTTPS_PROXY $https_proxy" > /p
EOF
p='http-lower http-lower s s'
conf_newer "proxyEnvFromBuildArgs sorts the keys, so http_proxy wins over HTTP_PROXY (v0.8 walks a Go map: either, at random)" all \
  "p file 0644 0 0 $((${#p} + 1)) sha256:$(echo "$p" | sha256sum | cut -d' ' -f1)"
conf_case proxy-not-in-image "testBuiltinArgs (dockerfile_args_test.go): proxies stay out of the config"
conf_args --build-arg https_proxy=x
df <<'EOF'
FROM bb:1
RUN env | grep -i proxy | sort > /p
EOF

# ---- JSON form (point 10) ----
conf_case json-cmd-nul "parser/testfiles/json/Dockerfile (BuildKit parser tests)"
df <<'EOF'
FROM bb:1
CMD ["abc 123", "♥", "☃", "\" \\ \/ \b \f \n \r \t \u0000"]
EOF
conf_case json-forms "parser/testfiles/json/Dockerfile (BuildKit parser tests)"
df <<'EOF'
FROM bb:1
CMD []
ENTRYPOINT ["/bin/sh", "-c"]
RUN ["echo", "hi there"]
CMD ["a", "b c"]
EOF
conf_case invalid-json-commands "testInvalidJSONCommands (dockerfile_cmd_test.go)"
df <<'EOF'
FROM bb:1
RUN ["echo", "hello"]
RUN [ "$(echo hi)" = "hi" ] && echo shell > /shell
CMD [echo, hello]
EOF

# ---- ONBUILD (point 14) ----
conf_case onbuild-inherited-stage-with-from "testOnBuildInheritedStageWithFrom (dockerfile_onbuild_test.go)"
df <<'EOF'
FROM bb:1 AS src
RUN mkdir -p /in && echo -n 12 > /in/file
FROM bb:1 AS base
ONBUILD COPY --from=src /in/file /out/foo
FROM base AS mid
RUN cp /out/foo /out/bar
FROM scratch
COPY --from=mid /out/bar /
EOF
conf_newer "testOnBuildInheritedStageWithFrom: the trigger's stage is resolved (v0.8: no such stage)" all \
  "bar file 0644 0 0 2 sha256:$(printf 12 | sha256sum | cut -d' ' -f1)"
conf_case onbuild-inherited-stage-run "testOnBuildInheritedStageRun (dockerfile_onbuild_test.go)"
df <<'EOF'
FROM bb:1 AS base
ONBUILD RUN mkdir -p /out && echo -n 11 >> /out/foo
FROM base AS mid
RUN cp /out/foo /out/bar
FROM scratch
COPY --from=mid /out/bar /
EOF
conf_case onbuild-cleared-parent "testOnBuildCleared (dockerfile_onbuild_test.go): the parent image"
df <<'EOF'
FROM bb:1
ONBUILD RUN mkdir -p /out && echo -n 11 >> /out/foo
EOF
conf_case onbuild-cleared-child "testOnBuildCleared (dockerfile_onbuild_test.go): the child runs it once"
conf_after onbuild-cleared-parent
df <<'EOF'
FROM conf-onbuild-cleared-parent
ENV FOO=bar
EOF
conf_case onbuild-cleared-grandchild "testOnBuildCleared (dockerfile_onbuild_test.go): not inherited further"
conf_after onbuild-cleared-child
df <<'EOF'
FROM conf-onbuild-cleared-child
RUN cp /out/foo /out/bar
EOF
conf_case onbuild-with-child-stage "testOnBuildWithChildStage (dockerfile_onbuild_test.go)"
df <<'EOF'
FROM bb:1 AS base
ONBUILD RUN echo hello > /hello
FROM base AS child
RUN cat /hello > /copy
EOF

# ---- ARG and ENV ----
conf_case global-arg "testGlobalArg (dockerfile_args_test.go)"
conf_args --build-arg tag=1
df <<'EOF'
ARG tag=nosuchtag
FROM bb:${tag}
EOF
conf_case arg-default-expansion "testArgDefaultExpansion (dockerfile_args_test.go)"
conf_args --build-arg FOO=123 --build-arg BAR=123
df <<'EOF'
FROM bb:1
ARG FOO
ARG BAR=${FOO:?"foo missing"}
RUN echo $BAR > /bar
EOF
conf_newer "dispatchArg: ARG records the --build-arg value" history 'history: ARG FOO=123'
conf_case arg-default-expansion-missing "testArgDefaultExpansion (dockerfile_args_test.go): FOO missing"
df <<'EOF'
FROM bb:1
ARG FOO
ARG BAR=${FOO:?"foo missing"}
EOF
conf_fail
conf_case multi-args "testMultiArgs (dockerfile_args_test.go)"
df <<'EOF'
ARG a1="foo bar" a2=b:1
ARG a3="$a2-foo"
FROM b$a2 AS build
ARG a3 a4="123 456" a1
RUN echo -n "$a1:$a3:$a4" > /out
FROM scratch
COPY --from=build /out .
EOF
conf_case quoted-meta-args "testQuotedMetaArgs (dockerfile_args_test.go)"
df <<'EOF'
ARG a1="b:1"
ARG a2="$a1-foo"
FROM b$a1 AS build
ARG a2
ARG a3="bar-$a2"
RUN echo -n $a3 > /out
FROM scratch
COPY --from=build /out .
EOF
conf_case default-env-with-args "testDefaultEnvWithArgs (dockerfile_args_test.go)"
conf_args --build-arg my_arg=override
printf '#!/bin/sh\necho -n $my_arg $* > /out\n' >"$C/myscript.sh"; chmod 0755 "$C/myscript.sh"
df <<'EOF'
ARG image=idlebb:1
FROM ${image#idle} AS build
ARG my_arg
ENV my_arg "my_arg=${my_arg:-def_val}"
ENV my_trimmed_arg "${my_arg%%e*}"
COPY myscript.sh myscript.sh
RUN ./myscript.sh $my_arg $my_trimmed_arg
FROM scratch
COPY --from=build /out /out
EOF
out='my_arg=override my_arg=override my_arg=ov'
conf_newer 'dispatchArg records the --build-arg value; ${image#idle} (v0.8 has no #)' all \
  "out file 0644 0 0 ${#out} sha256:$(printf %s "$out" | sha256sum | cut -d' ' -f1)"
conf_case empty-string-arg-in-env "testEmptyStringArgInEnv (dockerfile_args_test.go)"
df <<'EOF'
FROM bb:1 AS build
ARG FOO
ARG BAR=
RUN env | grep -v '^HOSTNAME=\|^PWD=\|^SHLVL=\|^_=' | sort > env.txt
FROM scratch
COPY --from=build env.txt .
EOF
conf_case env-empty-formatting "testEnvEmptyFormatting (dockerfile_args_test.go)"
df <<'EOF'
FROM bb:1 AS build
ENV FOO=""
ENV BAR=''
ENV BAZ=
ENV QUX="" QUUX=''
RUN env | grep '^\(FOO\|BAR\|BAZ\|QUX\|QUUX\)=' | sort > env.txt
EOF
conf_case history-flatten-args "testExportedHistoryFlattenArgs (dockerfile_history_test.go)"
df <<'EOF'
FROM bb:1
ARG foo=bar
ARG bar=123
ARG foo=bar2
RUN ls /etc/ > /ls
EOF
conf_newer "runCommandString: an ARG declared twice is listed once (moby/buildkit#5505)" history \
  'history: RUN |2 foo=bar2 bar=123 /bin/sh -c ls /etc/ > /ls # buildkit'
conf_case exported-history "testExportedHistory (dockerfile_history_test.go)"
cf foo contents0
df <<'EOF'
FROM bb:1 AS base
ENV foo=bar
COPY foo /foo2
FROM bb:1
LABEL lbl=val
COPY --from=base foo2 foo3
WORKDIR /
RUN echo bar > foo4
RUN ["ls"]
EXPOSE 2375 5000 1234/udp
EOF
conf_newer 'dispatchExpose: fmt "EXPOSE %v" of the sorted ports' history 'history: EXPOSE [1234/udp 2375/tcp 5000/tcp]'
conf_case env-replacement "moby TestBuildEnvironmentReplacementEnv"
df <<'EOF'
FROM bb:1
ENV foo zzz
ENV bar ${foo}
ENV abc1='$foo'
ENV env1=$foo env2=${foo} env3="$foo" env4="${foo}"
ENV abc2="\$foo"
ENV abc3 '$foo'
ENV abc4 "\$foo"
RUN env | grep '^\(foo\|bar\|abc.\|env.\)=' | sort > /env
EOF
conf_case env-replacement-add-copy "moby TestBuildEnvironmentReplacementAddCopy"
cf foo 1; cf bar 2; cf fff 3; cf ggg 4
df <<'EOF'
FROM bb:1
ENV baz foo
ENV quux bar
ENV dot .
ENV fee fff
ENV gee ggg
ADD ${baz} ${dot}
COPY ${quux} ${dot}
ADD ${zzz:-${fee}} ${dot}
COPY ${zzz:-${gee}} ${dot}
EOF
conf_case env-replacement-user "moby TestBuildEnvironmentReplacementUser"
df <<'EOF'
FROM bb:1
ENV user app
USER ${user}
EOF
conf_case env-replacement-volume "moby TestBuildEnvironmentReplacementVolume"
df <<'EOF'
FROM bb:1
ENV volume /quux
VOLUME ${volume}
EOF
conf_case env-replacement-expose "moby TestBuildEnvironmentReplacementExpose"
df <<'EOF'
FROM bb:1
ENV port 80
EXPOSE ${port}
ENV ports "  99   100 "
EXPOSE ${ports}
EOF
conf_newer 'dispatchExpose: fmt "EXPOSE %v"' history 'history: EXPOSE [80/tcp]' 'history: EXPOSE [99/tcp 100/tcp]'
conf_case env-replacement-workdir "moby TestBuildEnvironmentReplacementWorkdir"
df <<'EOF'
FROM bb:1
ENV MYWORKDIR /work
RUN mkdir ${MYWORKDIR}
WORKDIR ${MYWORKDIR}
EOF
conf_case env-legacy-multi "moby TestBuildEnvOverwrite / legacy ENV form"
df <<'EOF'
FROM bb:1
ENV TEST foo bar  baz
ENV TEST2=a\ b
RUN echo "$TEST|$TEST2" > /t
EOF

# ---- config instructions ----
conf_case expose-expansion "testExposeExpansion (dockerfile_core_test.go)"
df <<'EOF'
FROM bb:1
ARG PORTS="3000 4000/udp"
EXPOSE $PORTS
EXPOSE 5000
EOF
conf_newer 'dispatchExpose: fmt "EXPOSE %v"; dispatchArg' history 'history: EXPOSE [3000/tcp 4000/udp]' 'history: EXPOSE [5000/tcp]'
conf_case dockerfile-lowercase "testDockerfileLowercase (dockerfile_core_test.go)"
df <<'EOF'
from scratch
copy Dockerfile /
label x=y
EOF
conf_case labels "testLabels (dockerfile_core_test.go)"
df <<'EOF'
FROM bb:1
LABEL foo=baz x="y z"
EOF
conf_case labels-quotes "moby TestBuildLabelsWithQuotes / TestBuildLabelOneNode"
df <<'EOF'
FROM bb:1
LABEL "a b"="c d" e='f "g"' h=i\ j
LABEL multi="one" \
      two=2
EOF
conf_case label-quoted-pair "moby TestBuildLabelOneNode: a quoted key=value pair is refused"
df <<'EOF'
FROM bb:1
LABEL "foo=bar"
EOF
conf_fail
conf_case cmd-shell "testCmdShell (dockerfile_cmd_test.go)"
df <<'EOF'
FROM bb:1 AS base
FROM base
SHELL ["ls"]
ENTRYPOINT my entrypoint
CMD my cmd
EOF
conf_case default-shell-and-path "testDefaultShellAndPath (dockerfile_cmd_test.go)"
df <<'EOF'
FROM scratch
ENTRYPOINT foo bar
COPY Dockerfile .
EOF
conf_case shell-override "moby TestBuildShellUpdatesConfig / TestBuildShellMultiple"
df <<'EOF'
FROM bb:1
SHELL ["/bin/sh", "-e", "-c"]
RUN echo $0 > /s1
SHELL ["/bin/sh", "-x", "-c"]
RUN echo $0 > /s2
CMD echo hi
EOF
conf_case entrypoint-override-cmd "moby TestBuildEntrypointCanBeOverriddenByChild / TestBuildClearCmd"
df <<'EOF'
FROM bb:1
CMD ["a"]
ENTRYPOINT ["/bin/echo"]
EOF
conf_case cmd-then-entrypoint "moby TestBuildEntrypointRunCleanup: CMD set before ENTRYPOINT stays"
df <<'EOF'
FROM bb:1
ENTRYPOINT ["/bin/echo"]
CMD ["x"]
ENTRYPOINT ["/bin/cat"]
EOF
conf_case healthcheck-variants "moby TestBuildHealthCheck"
df <<'EOF'
FROM bb:1
HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=1s --retries=3 CMD ["ls", "/"]
EOF
conf_newer 'dispatchHealthcheck: fmt "HEALTHCHECK %+v"' history \
  'history: HEALTHCHECK {Test:[CMD ls /] Interval:1m30s Timeout:500ms StartPeriod:1s StartInterval:0s Retries:3}'
conf_case stopsignal-env "moby TestBuildStopSignal"
df <<'EOF'
FROM bb:1
ENV SIG SIGKILL
STOPSIGNAL $SIG
EOF
conf_case volume-json "moby TestBuildVolumeFileExistsinContainer / VOLUME JSON form"
df <<'EOF'
FROM bb:1
VOLUME ["/data", "/logs"]
VOLUME /a /b
EOF
conf_case volume-empty "moby TestBuildEmptyStringVolume"
df <<'EOF'
FROM bb:1
ENV foo=""
VOLUME $foo
EOF
conf_fail
conf_case maintainer "moby TestBuildMaintainer"
df <<'EOF'
FROM bb:1
MAINTAINER dockerio
EOF
conf_case user-then-run-file-owner "moby TestBuildUser"
df <<'EOF'
FROM bb:1
USER app
RUN touch /tmp/mine && stat -c '%U' /tmp/mine > /tmp/who
EOF

# ---- multi-stage ----
conf_case multistage-implicit-from "testMultiStageImplicitFrom (dockerfile_multistage_test.go)"
df <<'EOF'
FROM scratch
COPY --from=bb:1 /etc/passwd /passwd
EOF
conf_case multistage-case-insensitive "testMultiStageCaseInsensitive (dockerfile_multistage_test.go)"
cf foo d0
df <<'EOF'
FROM scratch AS STAge0
COPY foo bar
FROM scratch AS staGE1
COPY --from=staGE0 bar baz
FROM scratch
COPY --from=stage1 baz bax
EOF
conf_case out-of-order-stage "testOutOfOrderStage (dockerfile_multistage_test.go)"
df <<'EOF'
FROM scratch AS build
COPY --from=bar /out /
FROM bb:1 AS bar
RUN echo x > /out
EOF
conf_fail
conf_no_docker "testOutOfOrderStage: current BuildKit refuses it ('needs to be defined before current stage'), v0.8 builds it"
conf_case empty-stages "testEmptyStages (dockerfile_multistage_test.go)"
df <<'EOF'
ARG foo=bar
EOF
conf_fail
conf_no_docker "dockerd 20.10's BuildKit panics on it (index out of range in lastTarget) and would take the shared dockerd down"
conf_case stage-inherits-env "moby TestBuildMultiStageCopyFromSyntax-style: a stage FROM a stage keeps ENV and WORKDIR"
df <<'EOF'
FROM bb:1 AS base
ENV A=1
WORKDIR /w
FROM base
RUN echo "$A $PWD" > /x
EOF
conf_case target-stage-copy "testTargetStageNameArg-style (dockerfile_args_test.go): --target stops at the stage"
conf_args --target mid
df <<'EOF'
FROM bb:1 AS first
RUN echo 1 > /one
FROM first AS mid
RUN echo 2 > /two
FROM mid
RUN exit 1
EOF

conf_run
done_testing
