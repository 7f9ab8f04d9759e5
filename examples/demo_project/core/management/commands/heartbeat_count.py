from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print how many times the periodic heartbeat task has run (0 if never)."

    def handle(self, *args, **options):
        from core.models import TaskRecord
        from core.tasks import HEARTBEAT_KEY

        row = TaskRecord.objects.filter(key=HEARTBEAT_KEY).values("count").first()
        self.stdout.write(str(row["count"] if row else 0))
