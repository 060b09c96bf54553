from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.models.enums import DelayCounting, MessageKind, Priority, TicketEventKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_feed_events')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Calendar',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=100)),
                ('time_zone', fields.CharField(max_length=64)),
                ('opening_hours', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('holidays', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('is_default', fields.BooleanField(default=False)),
            ],
            options={'table': 'calendars', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Business hours in a time zone, with holidays. One of them is the default calendar.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ticket', fields.ForeignKeyField('models.Ticket', source_field='ticket_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='REQUEST: REQUEST\nPUBLIC: PUBLIC\nINTERNAL: INTERNAL', enum_type=MessageKind, max_length=16)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'messages', 'app': 'models', 'indexes': [Index(fields=['ticket_id', 'id'])], 'pk_attr': 'id', 'table_description': "One message of a ticket's conversation: the request, a public message or a note."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResponseDelay',
            fields=[
                ('priority', fields.CharEnumField(primary_key=True, unique=True, db_index=True, description='P1: P1\nP2: P2\nP3: P3\nP4: P4', enum_type=Priority, max_length=2)),
                ('minutes', fields.IntField()),
                ('counting', fields.CharEnumField(description='BUSINESS_HOURS: BUSINESS_HOURS\nAROUND_THE_CLOCK: AROUND_THE_CLOCK', enum_type=DelayCounting, max_length=16)),
            ],
            options={'table': 'response_delays', 'app': 'models', 'pk_attr': 'priority', 'table_description': "An admin's setting of the response delay of a priority (else the configured default)."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Team',
            name='calendar',
            field=fields.ForeignKeyField('models.Calendar', source_field='calendar_id', null=True, db_constraint=True, to_field='id', related_name='teams', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Ticket',
            name='closed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Ticket',
            name='pauses',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Ticket',
            name='response_at_risk_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Ticket',
            name='waiting_since',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='TicketEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: CREATED\nUPDATED: UPDATED\nSUBMITTED: SUBMITTED\nADJUSTED: ADJUSTED\nASSIGNED: ASSIGNED\nSTATUS_CHANGED: STATUS_CHANGED\nMESSAGE_POSTED: MESSAGE_POSTED\nNOTE_POSTED: NOTE_POSTED', enum_type=TicketEventKind, max_length=16),
        ),
        # The default calendar: Monday to Friday, 09:00-17:00 in Brussels.
        ops.RunSQL(
            "INSERT INTO calendars (name, time_zone, opening_hours, holidays, is_default) "
            "VALUES ('Default', 'Europe/Brussels', "
            """'[[0,"09:00","17:00"],[1,"09:00","17:00"],[2,"09:00","17:00"],"""
            """[3,"09:00","17:00"],[4,"09:00","17:00"]]', '[]', TRUE)""",
            reverse_sql="DELETE FROM calendars WHERE name = 'Default'",
        ),
        # Tickets opened before conversations existed: their description becomes the request.
        ops.RunSQL(
            "INSERT INTO messages (ticket_id, author_id, kind, body, created_at) "
            "SELECT id, author_id, 'REQUEST', description, submitted_at FROM tickets "
            "WHERE submitted_at IS NOT NULL AND description <> ''",
            reverse_sql="DELETE FROM messages",
        ),
        ops.RunSQL(
            "UPDATE tickets SET closed_at = updated_at WHERE status = 'CLOSED'",
            reverse_sql="UPDATE tickets SET closed_at = NULL",
        ),
    ]
