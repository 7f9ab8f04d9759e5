"""The uploads' storage when the deployment keeps them in S3-compatible object storage.

webstack_settings points STORAGES["default"] here when django_app_media_storage is set:
django-storages' S3 backend (the project's lock names django-storages[s3]), whose files are
addressed at MEDIA_URL on the site itself, where nginx reads them through from the bucket (GET
only, served as data), so a page never links to the storage's own address, which only the
app's hosts reach.
"""
from django.conf import settings
from django.utils.encoding import filepath_to_uri

try:
    from storages.backends.s3 import S3Storage
except ImportError:  # django-storages before 1.14
    from storages.backends.s3boto3 import S3Boto3Storage as S3Storage
from storages.utils import clean_name


class MediaStorage(S3Storage):
    """S3Storage whose URLs are MEDIA_URL + the file's name (the bucket's key)."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        return settings.MEDIA_URL + filepath_to_uri(clean_name(name)).lstrip("/")
