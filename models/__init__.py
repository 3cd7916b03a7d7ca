"""plantloop model library: MILP models for energy allocation and setpoint compensation.

Pure code: no OPC UA, no scheduler. Models are built once from a PlantConfig and
re-solved each cycle with new parameter values.
"""
