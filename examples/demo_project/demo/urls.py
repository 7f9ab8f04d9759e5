from django.contrib import admin
from django.urls import path

from core import views

urlpatterns = [
    path("", views.index, name="index"),
    path("healthz", views.healthz, name="healthz"),
    path("cpu", views.cpu, name="cpu"),
    path("io", views.io, name="io"),
    path("async/io", views.aio, name="aio"),
    # The same async view where uWSGI serves it (outside django_app_asgi_locations), for the benchmark.
    path("aio", views.aio, name="aio_wsgi"),
    path("version", views.version, name="version"),
    path("records/<str:key>", views.records, name="records"),
    path("uploads/<str:name>", views.uploads, name="uploads"),
    path("built", views.built, name="built"),
    path("admin/", admin.site.urls),
]
