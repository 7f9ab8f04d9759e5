import json
import re

from django.core.management.base import BaseCommand
from django.db.models import Count, Sum


class Command(BaseCommand):
    help = 'Print {"distinct": n, "executions": total} for records PREFIX-<n>.'

    def add_arguments(self, parser):
        parser.add_argument("--prefix", required=True)

    def handle(self, *args, prefix, **options):
        from core.models import TaskRecord

        agg = TaskRecord.objects.filter(
            key__regex=r"^" + re.escape(prefix) + r"-[0-9]+$"
        ).aggregate(distinct=Count("id"), executions=Sum("executions"))
        self.stdout.write(json.dumps(
            {"distinct": agg["distinct"], "executions": agg["executions"] or 0}
        ))
