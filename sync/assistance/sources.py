"""The town hall's sources of the ``volunteers`` and ``powers`` downloads (snapshots)."""

from __future__ import annotations

from sync.assistance.registry import REGISTRY_FILE, open_registry
from sync.envelope.assistance_channels import POWERS_CHANNEL, VOLUNTEERS_CHANNEL
from sync.envelope.downloads import ChannelPart
from sync.server.downloads import ChannelSource, SourceContext, register_source


def _snapshot(context: SourceContext, name: str) -> ChannelPart:
    entries: tuple = ()
    version = 0
    if context.townhall_dir is not None and (context.townhall_dir / REGISTRY_FILE).exists():
        with open_registry(context.townhall_dir) as registry:
            version = registry.channel_version(name)
            entries = tuple(registry.volunteer_terms() if name == "volunteers" else registry.kiosk_powers())
    return ChannelPart(
        channel=name, mode="snapshot", from_version=0, version=version, as_of=context.as_of,
        entries=entries, more=False,
    )


def _volunteers_part(context: SourceContext, held: int) -> ChannelPart:
    return _snapshot(context, VOLUNTEERS_CHANNEL.name)


def _powers_part(context: SourceContext, held: int) -> ChannelPart:
    return _snapshot(context, POWERS_CHANNEL.name)


register_source(ChannelSource(VOLUNTEERS_CHANNEL.name, _volunteers_part), replace=True)
register_source(ChannelSource(POWERS_CHANNEL.name, _powers_part), replace=True)
