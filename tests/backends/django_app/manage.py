#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Django's command-line utility (e.g. `manage.py check`)."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
