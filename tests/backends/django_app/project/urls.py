# SPDX-License-Identifier: BSD-3-Clause
# startproject's URLconf. With DEBUG, Django shows its welcome page for "/"
# when this is the only pattern, and the DEBUG 404 page for anything else.
from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
