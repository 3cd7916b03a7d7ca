"""The built-in simulated plant: any PlantConfig served over OPC UA with believable
dynamics, DCS behaviour (permissive, watchdog shed, EURange) and fault injection."""

from optimizer.sim.faults import FaultKind
from optimizer.sim.ledger import CostComparison
from optimizer.sim.security import SimSecurity
from optimizer.sim.server import SimulatedPlant
from optimizer.sim.synthetic import synthetic_config

__all__ = ["CostComparison", "FaultKind", "SimSecurity", "SimulatedPlant", "synthetic_config"]
