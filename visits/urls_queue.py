from django.urls import path

from visits.views import queue

urlpatterns = [
    path("reception/", queue.reception, name="reception"),
    path("reception/queue/", queue.reception_queue, name="reception_queue"),
    path("console/", queue.console, name="console"),
    path("console/queue/", queue.console_queue, name="console_queue"),
    path("console/presence/", queue.presence, name="presence"),
    path("console/call-next/", queue.call_next, name="call_next"),
    path("<int:pk>/call/", queue.call, name="call"),
    path("<int:pk>/start/", queue.start, name="start"),
    path("<int:pk>/clear/", queue.clear, name="clear"),
    path("<int:pk>/escalate/", queue.escalate, name="escalate"),
    path("<int:pk>/ladder-ack/", queue.ladder_ack, name="ladder_ack"),
    path("<int:pk>/host-ack/", queue.host_ack, name="host_ack"),
    path("<int:pk>/transfer/", queue.transfer, name="transfer"),
    path("<int:pk>/finish/", queue.finish, name="finish"),
    path("board/", queue.board, name="board"),
    path("board/data/", queue.board_data, name="board_data"),
]
