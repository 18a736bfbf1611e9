# SPDX-License-Identifier: BSD-3-Clause
"""WSGI entry point: gunicorn --chdir tests/backends/django_app project.wsgi"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
application = get_wsgi_application()
