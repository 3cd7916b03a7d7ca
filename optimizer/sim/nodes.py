"""Build the simulator's address space in one batched AddNodes call per kind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asyncua import Server, ua

from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagRole
from optimizer.sim.binding import Binding

VTYPE_DOUBLE = ua.VariantType.Double
VTYPE_BOOL = ua.VariantType.Boolean
VTYPE_UINT32 = ua.VariantType.UInt32
VTYPE_STRING = ua.VariantType.String
VTYPE_DATETIME = ua.VariantType.DateTime


@dataclass(frozen=True, kw_only=True)
class VarSpec:
    """One variable node to create."""

    nodeid: ua.NodeId
    name: str
    vtype: ua.VariantType
    writable: bool
    array_len: int | None = None
    description: str = ""


def tag_vtype(cfg: PlantConfig, b: Binding) -> ua.VariantType:
    role = cfg.tags[b.tag].role
    if role is TagRole.WATCHDOG:
        return VTYPE_UINT32
    if b.boolean:
        return VTYPE_BOOL
    return VTYPE_DOUBLE


def tag_nodeid(node: str, idx: int) -> ua.NodeId:
    return ua.NodeId.from_string(f"ns={idx};{node}")


def _initial(spec: VarSpec) -> ua.Variant:
    if spec.array_len is not None:
        return ua.Variant([0.0] * spec.array_len, spec.vtype, Dimensions=[spec.array_len])
    zero: dict[ua.VariantType, Any] = {
        VTYPE_DOUBLE: 0.0,
        VTYPE_BOOL: False,
        VTYPE_UINT32: 0,
        VTYPE_STRING: "",
    }
    if spec.vtype is VTYPE_DATETIME:
        return ua.Variant(None, VTYPE_DATETIME)
    return ua.Variant(zero[spec.vtype], spec.vtype)


async def add_folder(server: Server, parent: ua.NodeId, nodeid: ua.NodeId, name: str) -> None:
    item = ua.AddNodesItem()
    item.RequestedNewNodeId = nodeid
    item.BrowseName = ua.QualifiedName(name, nodeid.NamespaceIndex)
    item.NodeClass = ua.NodeClass.Object
    item.ParentNodeId = parent
    item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.Organizes)
    item.TypeDefinition = ua.NodeId(ua.ObjectIds.FolderType)
    attrs = ua.ObjectAttributes()
    attrs.DisplayName = ua.LocalizedText(name)
    attrs.EventNotifier = 0
    item.NodeAttributes = attrs
    (res,) = await server.iserver.isession.add_nodes([item])
    res.StatusCode.check()


async def add_variables(server: Server, parent: ua.NodeId, specs: Sequence[VarSpec]) -> None:
    items = []
    for s in specs:
        item = ua.AddNodesItem()
        item.RequestedNewNodeId = s.nodeid
        item.BrowseName = ua.QualifiedName(s.name, s.nodeid.NamespaceIndex)
        item.NodeClass = ua.NodeClass.Variable
        item.ParentNodeId = parent
        item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.Organizes)
        item.TypeDefinition = ua.NodeId(ua.ObjectIds.BaseDataVariableType)
        attrs = ua.VariableAttributes()
        attrs.DisplayName = ua.LocalizedText(s.name)
        attrs.Description = ua.LocalizedText(s.description or s.name)
        attrs.DataType = ua.NodeId(s.vtype.value)
        attrs.Value = _initial(s)
        if s.array_len is not None:
            attrs.ValueRank = ua.ValueRank.OneDimension
            attrs.ArrayDimensions = [s.array_len]
        else:
            attrs.ValueRank = ua.ValueRank.Scalar
        mask = ua.AccessLevel.CurrentRead.mask
        if s.writable:
            mask |= ua.AccessLevel.CurrentWrite.mask
        attrs.AccessLevel = mask
        attrs.UserAccessLevel = mask
        item.NodeAttributes = attrs
        items.append(item)
    for res, s in zip(await server.iserver.isession.add_nodes(items), specs, strict=True):
        if not res.StatusCode.is_good():
            raise ValueError(
                f"cannot create node {s.nodeid.to_string()} for {s.name}: {res.StatusCode.name}"
            )


async def add_eu_ranges(server: Server, ranges: Sequence[tuple[ua.NodeId, float, float]]) -> None:
    """An ``EURange`` property (OPC UA Part 8, DataType Range) under each setpoint node."""
    items = []
    for parent, lo, hi in ranges:
        item = ua.AddNodesItem()
        item.RequestedNewNodeId = eu_range_nodeid(parent)
        item.BrowseName = ua.QualifiedName("EURange", 0)
        item.NodeClass = ua.NodeClass.Variable
        item.ParentNodeId = parent
        item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HasProperty)
        item.TypeDefinition = ua.NodeId(ua.ObjectIds.PropertyType)
        attrs = ua.VariableAttributes()
        attrs.DisplayName = ua.LocalizedText("EURange")
        attrs.DataType = ua.NodeId(ua.ObjectIds.Range)
        attrs.Value = ua.Variant(ua.Range(Low=lo, High=hi), ua.VariantType.ExtensionObject)
        attrs.ValueRank = ua.ValueRank.Scalar
        attrs.AccessLevel = ua.AccessLevel.CurrentRead.mask
        attrs.UserAccessLevel = ua.AccessLevel.CurrentRead.mask
        item.NodeAttributes = attrs
        items.append(item)
    for res in await server.iserver.isession.add_nodes(items):
        res.StatusCode.check()


def eu_range_nodeid(parent: ua.NodeId) -> ua.NodeId:
    """Node id of the EURange property under a setpoint node."""
    return ua.NodeId(f"{parent.to_string()}.EURange", parent.NamespaceIndex)
