# SPDX-License-Identifier: BSD-3-Clause
"""The seed's Flask service: "/" answers "hello world!".

    gunicorn --chdir tests/backends/flask_app -b 198.18.0.21:8000 app:app
"""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello world!"
