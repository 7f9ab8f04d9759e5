from django.contrib import admin

from .models import TaskRecord


@admin.register(TaskRecord)
class TaskRecordAdmin(admin.ModelAdmin):
    list_display = ("key", "value", "count", "executions", "created", "updated")
    search_fields = ("key",)
    readonly_fields = ("created", "updated")
