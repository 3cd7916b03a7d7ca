"""asyncua plumbing of the simulator: the write hook, security setup, small helpers."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from asyncua import Server, ua
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.crypto.security_policies import SecurityPolicyNone
from asyncua.server.address_space import AttributeService
from asyncua.ua.ua_binary import struct_from_binary, uatcp_to_binary

from optimizer.sim.security import SimSecurity

WriteHandler = Callable[[ua.Variant], str]
_ADMIN = User(role=UserRole.Admin)


class SimAttributeService(AttributeService):  # type: ignore[misc]
    """asyncua's attribute service with the simulator's write rules in front."""

    def __init__(self, aspace: Any, plant: Any) -> None:
        super().__init__(aspace)
        self._plant = plant

    async def write(self, params: ua.WriteParameters, user: User = _ADMIN) -> list[ua.StatusCode]:
        await self._plant._resumed.wait()
        out: list[ua.StatusCode] = []
        for wv in params.NodesToWrite:
            handler = self._plant._writers.get(wv.NodeId)
            if handler is None or wv.AttributeId != ua.AttributeIds.Value:
                one = ua.WriteParameters(NodesToWrite=[wv])
                out.extend(await super().write(one, user))
                continue
            status = handler(wv.Value.Value if wv.Value is not None else ua.Variant())
            out.append(ua.StatusCode(getattr(ua.StatusCodes, status)))
        return out


def free_port(host: str) -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def configure_security(server: Server, security: SimSecurity | None) -> None:
    """Endpoints and identity tokens: SecurityPolicy None only without ``security``."""
    if security is None:
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        server.set_identity_tokens([ua.AnonymousIdentityToken])
        return
    server.set_security_policy(security.policy_types())
    tokens: list[type] = [ua.UserNameIdentityToken]
    if not security.users:
        tokens.insert(0, ua.AnonymousIdentityToken)
    server.set_identity_tokens(tokens)


def not_writable(v: ua.Variant) -> str:
    """Write handler of measurement, forecast and permissive nodes."""
    return "BadNotWritable"


def as_variant_value(vt: ua.VariantType, value: Any) -> Any:
    """A simulated value as the Python type of the node's Variant."""
    if vt == ua.VariantType.Boolean:
        return bool(value)
    if vt == ua.VariantType.UInt32:
        return int(value) % (2**32)
    return float(value)


def guard_channels(proto: Any, secure_only: bool) -> None:
    """Make one connection refuse a secure channel the way hardened servers do: an ERR
    message with a status, then the socket closed (asyncua alone falls back to a None
    channel for an unknown policy, and stays silent when it cannot decrypt a request).

    ``secure_only``: a SecurityPolicy None channel is refused too, even for discovery."""
    processor = proto.processor
    if processor is None:
        return
    process = processor.process

    def refuse(status: int, why: str) -> bool:
        err = ua.ErrorMessage(ua.StatusCode(status), why)
        if proto.transport is not None:
            proto.transport.write(uatcp_to_binary(ua.MessageType.Error, err))
            proto.transport.close()
        return False

    async def guarded(header: Any, body: Any) -> Any:
        if header.MessageType != ua.MessageType.SecureOpen or processor._connection.is_open():
            return await process(header, body)
        algo = struct_from_binary(ua.AsymmetricAlgorithmHeader, body.copy(header.body_size))
        uri = algo.SecurityPolicyURI
        if uri == SecurityPolicyNone.URI:
            if secure_only:
                return refuse(ua.StatusCodes.BadSecurityPolicyRejected, "secure-only server")
        elif not any(p.matches(uri) for p in proto.policies):
            return refuse(ua.StatusCodes.BadSecurityPolicyRejected, f"{uri} not offered")
        try:
            return await process(header, body)
        except Exception:  # a request it cannot decrypt or verify
            return refuse(ua.StatusCodes.BadSecurityChecksFailed, "security checks failed")

    processor.process = guarded
