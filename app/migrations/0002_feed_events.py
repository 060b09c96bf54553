from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FeedEvent',
            fields=[
                ('position', fields.BigIntField(primary_key=True, generated=False, unique=True, db_index=True)),
                ('ticket', fields.ForeignKeyField('models.Ticket', source_field='ticket_id', db_constraint=True, to_field='id', related_name='feed_events', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feed_events', 'app': 'models', 'pk_attr': 'position', 'table_description': 'An opened ticket in the live feed. Positions come from a counter advanced in the'},
            bases=['Model'],
        ),
        ops.RunSQL(
            "INSERT INTO counters (name, value) VALUES ('feed_position', 0)",
            reverse_sql="DELETE FROM counters WHERE name = 'feed_position'",
        ),
    ]
