"""A bare Flask page, served by the same gunicorn as timebank: the ceiling page_bench compares
timebank's pages with."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello"


@app.get("/healthz")
def healthz() -> str:
    return "ok"
