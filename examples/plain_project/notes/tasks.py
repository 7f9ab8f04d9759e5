from celery import shared_task

from .models import Note


@shared_task
def add_note(text):
    return Note.objects.create(text=text).pk
