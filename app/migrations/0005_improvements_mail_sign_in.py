from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.models.enums import FeedEventKind, ImprovementKind, ImprovementStatus, Language, MailKind, Priority, TicketEventKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_ticket_updates')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginFailure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=300)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_failures', 'app': 'models', 'indexes': [Index(fields=['key', 'at'])], 'pk_attr': 'id', 'table_description': 'A failed sign-in, by account (the e-mail as typed) and by client address: what the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMail',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='TICKET_OPENED: TICKET_OPENED\nREPLY: REPLY\nRELEASE: RELEASE\nSHIPPED: SHIPPED', enum_type=MailKind, max_length=16)),
                ('recipient', fields.CharField(max_length=254)),
                ('subject', fields.CharField(max_length=300)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox', 'app': 'models', 'indexes': [Index(fields=['sent_at', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'An e-mail to send, written in the same transaction as the change it announces, so'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Release',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('version', fields.CharField(unique=True, max_length=100)),
                ('planned_for', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('notes', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'releases', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A version and the improvements planned into it, frozen once published.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Improvement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=150)),
                ('description', fields.TextField(default='', unique=False)),
                ('kind', fields.CharEnumField(description='IMPROVEMENT: IMPROVEMENT\nFIX: FIX', enum_type=ImprovementKind, max_length=16)),
                ('status', fields.CharEnumField(default=ImprovementStatus.PROPOSED, description='PROPOSED: PROPOSED\nVALIDATED: VALIDATED\nPLANNED: PLANNED\nRELEASED: RELEASED\nREJECTED: REJECTED', enum_type=ImprovementStatus, max_length=16)),
                ('priority', fields.CharEnumField(null=True, description='P1: P1\nP2: P2\nP3: P3\nP4: P4', enum_type=Priority, max_length=2)),
                ('votes', fields.IntField(default=0)),
                ('proposed_by', fields.ForeignKeyField('models.User', source_field='proposed_by_id', db_constraint=True, to_field='id', related_name='proposed_improvements', on_delete=OnDelete.RESTRICT)),
                ('validated_by', fields.ForeignKeyField('models.User', source_field='validated_by_id', null=True, db_constraint=True, to_field='id', related_name='validated_improvements', on_delete=OnDelete.SET_NULL)),
                ('validated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rejection_reason', fields.TextField(null=True, unique=False)),
                ('release', fields.ForeignKeyField('models.Release', source_field='release_id', null=True, db_constraint=True, to_field='id', related_name='improvements', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'improvements', 'app': 'models', 'indexes': [Index(fields=['priority', 'votes', 'id'])], 'pk_attr': 'id', 'table_description': 'An item of the list of improvements and fixes. The tickets linked to it are its votes.'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='FeedEvent',
            options={'table': 'feed_events', 'app': 'models', 'pk_attr': 'position', 'table_description': 'A submitted ticket was opened or changed, or a release was published. Positions come'},
        ),
        ops.AlterField(
            model_name='FeedEvent',
            name='kind',
            field=fields.CharEnumField(default=FeedEventKind.OPENED, description='OPENED: OPENED\nCHANGED: CHANGED\nPUBLISHED: PUBLISHED', enum_type=FeedEventKind, max_length=16),
        ),
        ops.AlterField(
            model_name='FeedEvent',
            name='ticket',
            field=fields.ForeignKeyField('models.Ticket', source_field='ticket_id', null=True, db_constraint=True, to_field='id', related_name='feed_events', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='FeedEvent',
            name='release',
            field=fields.ForeignKeyField('models.Release', source_field='release_id', null=True, db_constraint=True, to_field='id', related_name='feed_events', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Ticket',
            name='improvement',
            field=fields.ForeignKeyField('models.Improvement', source_field='improvement_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL),
        ),
        ops.AlterField(
            model_name='TicketEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: CREATED\nUPDATED: UPDATED\nSUBMITTED: SUBMITTED\nADJUSTED: ADJUSTED\nASSIGNED: ASSIGNED\nSTATUS_CHANGED: STATUS_CHANGED\nMESSAGE_POSTED: MESSAGE_POSTED\nNOTE_ADDED: NOTE_ADDED\nLINKED: LINKED', enum_type=TicketEventKind, max_length=16),
        ),
        ops.AddField(
            model_name='User',
            name='is_validator',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='User',
            name='language',
            field=fields.CharEnumField(default=Language.FR, description='FR: fr\nEN: en', enum_type=Language, max_length=2),
        ),
        ops.AddField(
            model_name='User',
            name='mails_off',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='User',
            name='token_version',
            field=fields.IntField(default=0),
        ),
    ]
