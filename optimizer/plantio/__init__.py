"""Plant I/O: how a cycle reads and writes the control system.

``types`` is pure (no asyncua) and is what the cycle depends on; ``opcua_client`` is the
real implementation; a replayed history or a test plant implement the same ``PlantIO``.
"""
