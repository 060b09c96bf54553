"""Executing subscription events: once per event for all the subscribers who would get the
same result, instead of once per subscriber.

An event's result can differ between subscribers only through resolvers that look at the
viewer. A selection made of plain fields (read from the event's own objects) and of the
resolvers listed in SAME_FOR_EVERY_VIEWER gives every subscriber the same result: the first
subscriber to execute it shares it with the others that run the same document with the same
variables. Any other selection is executed per subscriber, as before. Whether a subscriber
receives the event at all is decided beforehand, per subscriber (app/services/feed.py).

A shared result is also encoded once: `shared_payload` gives its JSON, which is sent to
each subscriber as a ready-made graphql-transport-ws `next` message (app/schema/frames.py),
below Strawberry's per-result pipeline (error handling, extension hooks, encoding).
Results with errors, and selections that are not shared, still take the ordinary way,
which masks errors.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Hashable
from contextvars import ContextVar
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    print_ast,
)
from graphql.pyutils import AwaitableOrValue
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

# (type, field) of resolvers whose result does not depend on the viewer.
SAME_FOR_EVERY_VIEWER = {
    # For each event, the subscription field resolves to the event itself.
    ("Subscription", "ticketOpened"),
    # Whoever may see a ticket sees its author and its team (app/services/users.py and
    # teams.py), and the feed loads both once per event (Loaders.for_feed_event).
    ("Ticket", "author"),
    ("Ticket", "team"),
}
Results = dict[Hashable, "asyncio.Future[ExecutionResult]"]
_UNKNOWN = object()
MAX_DOCUMENTS = 1000
_documents: dict[int, tuple[OperationDefinitionNode, str | None]] = {}
# Each graphql-transport-ws operation runs in an asyncio task of its own, and so does each
# HTTP request: this names the subscription that the current task executes.
_subscription: ContextVar[SharedEventExecutor | None] = ContextVar("subscription", default=None)


def same_for_every_viewer(
    schema: GraphQLSchema,
    parent: GraphQLNamedType | None,
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
) -> bool:
    """Whether the selection reads only plain fields and viewer-independent resolvers."""
    if not isinstance(parent, GraphQLObjectType):
        return False  # abstract types: not needed by the feed, so not shared
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if name == "__typename":
                continue
            field = parent.fields.get(name)
            definition = (
                field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF) if field else None
            )
            if field is None or definition is None:
                return False
            if (
                definition.base_resolver is not None
                and (parent.name, name) not in SAME_FOR_EVERY_VIEWER
            ):
                return False
            if selection.selection_set and not same_for_every_viewer(
                schema, get_named_type(field.type), selection.selection_set, fragments
            ):
                return False
        else:
            if isinstance(selection, InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            else:
                fragment = fragments.get(selection.name.value)
                if fragment is None:
                    return False
                condition, inner = fragment.type_condition, fragment.selection_set
            target = schema.get_type(condition.name.value) if condition else parent
            if not same_for_every_viewer(schema, target, inner, fragments):
                return False
    return True


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """The executor of every operation; shares subscription event results as above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._share_key: Hashable = _UNKNOWN
        if self.operation.operation is OperationType.SUBSCRIPTION:
            _subscription.set(self)

    @property
    def share_key(self) -> Hashable | None:
        """What every subscriber sharing this subscription's results has in common."""
        if self._share_key is _UNKNOWN:  # once per subscription
            self._share_key = self._key_when_shareable()
        return self._share_key

    def build_per_event_executor(self, payload: Any) -> StrawberryGraphQLCoreExecutionContext:
        # Decided here, before graphql-core copies this executor for the event: the copy
        # takes the key along instead of deciding it again.
        self._share_key = self.share_key
        executor = super().build_per_event_executor(payload)
        # graphql-core's copy shares this memo with the subscription, keyed by lists made
        # anew for each event: it would keep about 4 KB per subscriber and event, forever.
        executor._relevant_sub_fields = {}
        return executor

    def _key_when_shareable(self) -> Hashable | None:
        # ParserCache gives every subscription sent with the same text the same nodes:
        # decide and print once per document, not once per subscriber (0.1 ms each, half
        # a second on the first event of 5,000 subscriptions). Keyed by identity, since
        # nodes hash by content; the entry holds the node, so its id is not reused.
        operation = self.operation
        known = _documents.get(id(operation))
        if known is None or known[0] is not operation:
            if len(_documents) >= MAX_DOCUMENTS:
                _documents.clear()  # many documents: decide them again rather than grow
            known = (operation, self._document_key())
            _documents[id(operation)] = known
        document = known[1]
        if document is None:
            return None
        return (document, repr(sorted(self.variable_values.coerced.items())))

    def _document_key(self) -> str | None:
        """The document's text, when its selection is the same for every viewer."""
        root = self.schema.subscription_type
        if not same_for_every_viewer(
            self.schema, root, self.operation.selection_set, self.fragment_definitions
        ):
            return None
        fragments = sorted(print_ast(f) for f in self.fragment_definitions.values())
        return "\n".join([print_ast(self.operation), *fragments])

    def execute_operation(self, serially: bool | None = None) -> AwaitableOrValue[ExecutionResult]:
        results: Results | None = getattr(self.root_value, "shared_results", None)
        key = self._share_key
        if results is None or key is None or key is _UNKNOWN:
            return super().execute_operation(serially)  # type: ignore[return-value]
        shared = results.get(key)
        if shared is None:
            outcome = super().execute_operation(serially)
            if self.is_awaitable(outcome):
                # A task of its own: cancelling the first subscriber must not cancel it
                # for the others.
                shared = asyncio.ensure_future(outcome)  # type: ignore[arg-type]
            else:
                shared = asyncio.get_running_loop().create_future()
                shared.set_result(outcome)
            results[key] = shared
        if _succeeded(shared):
            # Most subscribers of an event come after the first has executed it: hand the
            # result over without a coroutine and a shield each.
            return _copy(shared.result())
        return _copy_when_done(shared)


def _succeeded(future: asyncio.Future[Any]) -> bool:
    """Done, neither cancelled nor failed: its result is there to take without waiting."""
    return future.done() and not future.cancelled() and future.exception() is None


def _copy(result: ExecutionResult) -> ExecutionResult:
    """The shared result, with an error list of its own (error handling edits the list)."""
    errors = list(result.errors) if result.errors else None
    return ExecutionResult(result.data, errors, result.extensions)


async def _copy_when_done(shared: asyncio.Future[ExecutionResult]) -> ExecutionResult:
    return _copy(await asyncio.shield(shared))


def current_subscription() -> SharedEventExecutor | None:
    """The executor of the subscription this task runs, if any."""
    return _subscription.get()


async def shared_payload(executor: SharedEventExecutor, event: Any) -> bytes | None:
    """The `next` payload of the subscription for this event, as JSON made once for all
    the subscribers that share it; None when its results are not shared or this one has
    errors. The event carries `shared_results` (results) and `shared_payloads` (their
    JSON, being made or made)."""
    key = executor.share_key
    if key is None:
        return None
    payloads: dict[Hashable, asyncio.Future[bytes | None]] = event.shared_payloads
    made = payloads.get(key)
    if made is None:
        # A task of its own, as for shared results: the subscribers of the same event
        # wait for it, and cancelling the first must not cancel it for the others.
        made = payloads[key] = asyncio.ensure_future(_encoded(executor, event))
    if _succeeded(made):
        return made.result()
    return await asyncio.shield(made)


async def _encoded(executor: SharedEventExecutor, event: Any) -> bytes | None:
    outcome = executor.build_per_event_executor(event).execute_operation(False)
    result = await outcome if executor.is_awaitable(outcome) else outcome
    return None if result.errors else json.dumps({"data": result.data}).encode()
