from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.enums import Priority, Role, TeamKind, TicketEventKind, TicketStatus, TicketType
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Counter',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=50)),
                ('value', fields.BigIntField(default=0)),
            ],
            options={'table': 'counters', 'app': 'models', 'pk_attr': 'name', 'table_description': "Named counters advanced atomically in the writer's transaction (ticket numbers)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Team',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=100)),
                ('kind', fields.CharEnumField(description='INTERNAL: INTERNAL\nEXTERNAL: EXTERNAL', enum_type=TeamKind, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'teams', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoutingRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ticket_type', fields.CharEnumField(unique=True, description='INCIDENT: INCIDENT\nQUESTION: QUESTION\nFEATURE_REQUEST: FEATURE_REQUEST', enum_type=TicketType, max_length=32)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', db_constraint=True, to_field='id', related_name='routing_rules', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'routing_rules', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Which team receives the tickets of a type: at most one rule per type.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('display_name', fields.CharField(max_length=100)),
                ('role', fields.CharEnumField(default=Role.REQUESTER, description='REQUESTER: REQUESTER\nHANDLER: HANDLER\nADMIN: ADMIN', enum_type=Role, max_length=16)),
                ('password_hash', fields.CharField(max_length=255)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Membership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'memberships', 'app': 'models', 'unique_together': (('user', 'team'),), 'pk_attr': 'id', 'table_description': 'A handler belongs to a team and sees the tickets routed to it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Ticket',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.IntField(unique=True)),
                ('subject', fields.CharField(max_length=150)),
                ('description', fields.TextField(default='', unique=False)),
                ('reference', fields.CharField(null=True, max_length=200)),
                ('type', fields.CharEnumField(null=True, description='INCIDENT: INCIDENT\nQUESTION: QUESTION\nFEATURE_REQUEST: FEATURE_REQUEST', enum_type=TicketType, max_length=32)),
                ('priority', fields.CharEnumField(description='P1: P1\nP2: P2\nP3: P3\nP4: P4', enum_type=Priority, max_length=2)),
                ('requested_priority', fields.CharEnumField(null=True, description='P1: P1\nP2: P2\nP3: P3\nP4: P4', enum_type=Priority, max_length=2)),
                ('status', fields.CharEnumField(default=TicketStatus.DRAFT, description='DRAFT: DRAFT\nOPEN: OPEN\nPENDING: PENDING\nWAITING: WAITING\nCLOSED: CLOSED', enum_type=TicketStatus, max_length=16)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='authored_tickets', on_delete=OnDelete.RESTRICT)),
                ('assignee', fields.ForeignKeyField('models.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='assigned_tickets', on_delete=OnDelete.SET_NULL)),
                ('team', fields.ForeignKeyField('models.Team', source_field='team_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL)),
                ('environment', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('response_due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('first_responded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=1)),
                ('search_text', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'tickets', 'app': 'models', 'indexes': [Index(fields=['author_id', 'created_at']), Index(fields=['team_id', 'status', 'created_at']), Index(fields=['status', 'priority', 'response_due_at']), Index(fields=['status', 'created_at']), Index(fields=['assignee_id', 'status']), Index(fields=['response_due_at']), Index(fields=['submitted_at']), Index(fields=['updated_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TicketEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ticket', fields.ForeignKeyField('models.Ticket', source_field='ticket_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='ticket_events', on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharEnumField(description='CREATED: CREATED\nUPDATED: UPDATED\nSUBMITTED: SUBMITTED\nADJUSTED: ADJUSTED', enum_type=TicketEventKind, max_length=16)),
                ('field', fields.CharField(null=True, max_length=50)),
                ('from_value', fields.CharField(null=True, max_length=200)),
                ('to_value', fields.CharField(null=True, max_length=200)),
                ('reason', fields.CharField(null=True, max_length=1000)),
            ],
            options={'table': 'ticket_events', 'app': 'models', 'indexes': [Index(fields=['ticket_id', 'id'])], 'pk_attr': 'id', 'table_description': "One entry of a ticket's history."},
            bases=['Model'],
        ),
        # The ticket-number counter exists from the start, so that concurrent
        # first drafts never race to create it.
        ops.RunSQL(
            "INSERT INTO counters (name, value) VALUES ('ticket_number', 0)",
            reverse_sql="DELETE FROM counters WHERE name = 'ticket_number'",
        ),
    ]
