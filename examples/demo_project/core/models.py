from django.db import models


class TaskRecord(models.Model):
    """A row written by Celery tasks so deployment tests can observe them.

    ``count`` is bumped by the periodic heartbeat; ``executions`` counts how
    many times ``record(key)`` ran for this key (>1 means a redelivery).
    """

    key = models.CharField(max_length=200, unique=True)
    value = models.CharField(max_length=200, blank=True, default="")
    count = models.IntegerField(default=0)
    executions = models.IntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.key
