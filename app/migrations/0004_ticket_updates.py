from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.enums import FeedEventKind, TicketEventKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_handling')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='FeedEvent',
            options={'table': 'feed_events', 'app': 'models', 'pk_attr': 'position', 'table_description': 'A submitted ticket was opened or changed. Positions come from a counter advanced in'},
        ),
        ops.AddField(
            model_name='FeedEvent',
            name='internal',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='FeedEvent',
            name='kind',
            field=fields.CharEnumField(default=FeedEventKind.OPENED, description='OPENED: OPENED\nCHANGED: CHANGED', enum_type=FeedEventKind, max_length=16),
        ),
        ops.AddField(
            model_name='Ticket',
            name='resolution',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AlterField(
            model_name='TicketEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: CREATED\nUPDATED: UPDATED\nSUBMITTED: SUBMITTED\nADJUSTED: ADJUSTED\nASSIGNED: ASSIGNED\nSTATUS_CHANGED: STATUS_CHANGED\nMESSAGE_POSTED: MESSAGE_POSTED\nNOTE_ADDED: NOTE_ADDED', enum_type=TicketEventKind, max_length=16),
        ),
        # The history kind of internal notes was renamed (issue 4's contract: NOTE_ADDED).
        ops.RunSQL(
            "UPDATE ticket_events SET kind = 'NOTE_ADDED' WHERE kind = 'NOTE_POSTED'",
            reverse_sql="UPDATE ticket_events SET kind = 'NOTE_POSTED' WHERE kind = 'NOTE_ADDED'",
        ),
    ]
