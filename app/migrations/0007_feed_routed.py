from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.enums import FeedEventKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_dashboard_order_index')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='FeedEvent',
            name='kind',
            field=fields.CharEnumField(default=FeedEventKind.OPENED, description='OPENED: OPENED\nCHANGED: CHANGED\nROUTED: ROUTED\nPUBLISHED: PUBLISHED', enum_type=FeedEventKind, max_length=16),
        ),
        ops.AddField(
            model_name='FeedEvent',
            name='team_before_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='FeedEvent',
            name='team_id',
            field=fields.IntField(null=True),
        ),
        # The feed judges each opening with the team the ticket had then: the events written
        # before this migration get their ticket's team, the best knowledge there is.
        ops.RunSQL(
            "UPDATE feed_events SET team_id = "
            "(SELECT team_id FROM tickets WHERE tickets.id = feed_events.ticket_id) "
            "WHERE kind = 'OPENED'",
            reverse_sql="SELECT 1",
        ),
    ]
