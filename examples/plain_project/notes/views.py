from django.http import HttpResponse

from .models import Note


def index(request):
    return HttpResponse(f'<h1>Notes</h1><p>{Note.objects.count()} notes</p>')
