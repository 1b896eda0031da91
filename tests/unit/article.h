/* The article's two-stage Dockerfile (seed/000_049555bb0131a847.txt),
 * verbatim: the parser's and the linter's unit tests both start from it. */
#ifndef PYOCI_TESTS_ARTICLE_H
#define PYOCI_TESTS_ARTICLE_H

static const char article_slim[] = "# Stage 1: Build\n"
                                   "FROM python:3.9 AS builder\n"
                                   "WORKDIR /app\n"
                                   "COPY app.py requirements.txt ./\n"
                                   "RUN pip install --user -r requirements.txt\n"
                                   "\n"
                                   "# Stage 2: Run\n"
                                   "FROM python:3.9-slim\n"
                                   "WORKDIR /app\n"
                                   "COPY --from=builder /root/.local /root/.local\n"
                                   "COPY --from=builder /app .\n"
                                   "ENV PATH=/root/.local:$PATH\n"
                                   "CMD [\"python\", \"./app.py\"]\n";

#endif
