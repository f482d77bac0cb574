FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e ".[postgres]"
ENV FLASK_APP=socialmap
EXPOSE 5000
