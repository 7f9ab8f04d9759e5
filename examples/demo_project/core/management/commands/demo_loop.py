import os
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "A long-running command, as an alert or report sender is: writes its release and pid to "
        "STATE_DIR/loop-<instance>.txt every --interval seconds until it is asked to stop (SIGTERM)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--fail-in-release", default="", metavar="ID",
                            help="exit at once with an error when the release directory is named ID")

    def handle(self, *args, interval=1.0, fail_in_release="", **options):
        release_dir = os.path.realpath(os.getcwd())
        if fail_in_release and os.path.basename(release_dir) == fail_in_release:
            raise CommandError(f"demo_loop: asked to fail in release {fail_in_release}")
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        instance = os.environ.get("WEBSTACK_PROCESS_INSTANCE", "0")
        target = os.path.join(settings.STATE_DIR, f"loop-{instance}.txt")
        while not stopping:
            # Rewritten in place: the state directory itself does not change after the first write.
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(f"{settings.RELEASE_ID} {os.getpid()} {release_dir}\n")
            time.sleep(interval)
        self.stdout.write("demo_loop: stopped")
