# Stage 1: Build
FROM python:3.9 AS builder
WORKDIR /app
COPY app.py requirements.txt ./
RUN pip install --user -r requirements.txt

# Stage 2: Run
FROM python:3.9-slim
WORKDIR /app
COPY --from=builder /root/.local /root/.local
COPY --from=builder /app .
ENV PATH=/root/.local:$PATH
CMD ["python", "./app.py"]
