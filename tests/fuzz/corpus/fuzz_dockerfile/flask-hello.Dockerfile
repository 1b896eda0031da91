# The article's two-stage build, on local Debian-based bases (make-bases.sh)
# and a local wheelhouse instead of Docker Hub and PyPI.

# Stage 1: Build
FROM local/python:3.11 AS builder
WORKDIR /app
COPY wheels/ /wheels/
COPY app.py requirements.txt ./
RUN pip install --user --no-index --find-links=/wheels -r requirements.txt

# Stage 2: Run
FROM local/python:3.11-slim
WORKDIR /app
COPY --from=builder /root/.local /root/.local
COPY --from=builder /app .
ENV PATH=/root/.local:$PATH
CMD ["python", "./app.py"]
