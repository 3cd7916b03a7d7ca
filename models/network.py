"""Storage, grid, renewables, purchased fuels and the per-carrier balances.

Every balance has an unmet-demand slack with a high penalty (the model never becomes
infeasible because demand is too high; the result says which balance failed) and a spill
slack with a small one (a CHP may have to dump heat).
"""

from __future__ import annotations

from collections.abc import Callable

import pyomo.environ as pyo

from models.units import coproduct_output, coproducts_of
from optimizer.config.plant import ConverterUnit, GridUnit, RenewableUnit, StorageUnit
from optimizer.config.schema import PlantConfig

SPILL_COST = 1.0  # currency per unit·h dumped


def add_network(
    m: pyo.ConcreteModel,
    cfg: PlantConfig,
    carrier_delta: Callable[[str, int], object],
) -> None:
    units = cfg.units
    conv = {n: u for n, u in units.items() if isinstance(u, ConverterUnit)}
    stor = {n: u for n, u in units.items() if isinstance(u, StorageUnit)}
    grids = {n: u for n, u in units.items() if isinstance(u, GridUnit)}
    ren = {n: u for n, u in units.items() if isinstance(u, RenewableUnit)}
    dh = cfg.cycle.step_minutes / 60.0
    m.dh = dh

    # --- storage -------------------------------------------------------------------------
    m.S = pyo.Set(initialize=sorted(stor), ordered=True)
    m.ch = pyo.Var(m.S, m.T, bounds=(0, None))
    m.dis = pyo.Var(m.S, m.T, bounds=(0, None))
    m.chmode = pyo.Var(m.S, m.T, domain=pyo.Binary)
    m.soc = pyo.Var(m.S, m.T, bounds=(0, None))  # carrier-unit·h stored at period end
    m.soc0 = pyo.Param(m.S, mutable=True, initialize=0.0)
    m.soc_end = pyo.Param(m.S, mutable=True, initialize=0.0)
    T = list(m.T)
    m.c_ch = pyo.Constraint(
        m.S, m.T, rule=lambda mm, s, t: mm.ch[s, t] <= stor[s].max_charge * mm.chmode[s, t]
    )
    m.c_dis = pyo.Constraint(
        m.S,
        m.T,
        rule=lambda mm, s, t: mm.dis[s, t] <= stor[s].max_discharge * (1 - mm.chmode[s, t]),
    )

    def soc_dyn(mm: pyo.ConcreteModel, s: str, t: int) -> pyo.Expression:
        u = stor[s]
        prev = mm.soc0[s] if t == T[0] else mm.soc[s, t - 1]
        return mm.soc[s, t] == prev + dh * (
            u.charge_efficiency * mm.ch[s, t] - mm.dis[s, t] / u.discharge_efficiency
        )

    m.c_soc = pyo.Constraint(m.S, m.T, rule=soc_dyn)
    m.c_soc_lo = pyo.Constraint(
        m.S, m.T, rule=lambda mm, s, t: mm.soc[s, t] >= stor[s].soc_min * stor[s].capacity
    )
    m.c_soc_hi = pyo.Constraint(
        m.S, m.T, rule=lambda mm, s, t: mm.soc[s, t] <= stor[s].soc_max * stor[s].capacity
    )
    m.c_soc_end = pyo.Constraint(m.S, rule=lambda mm, s: mm.soc[s, T[-1]] >= mm.soc_end[s])

    # --- grid ----------------------------------------------------------------------------
    m.G = pyo.Set(initialize=sorted(grids), ordered=True)
    m.imp = pyo.Var(m.G, m.T, bounds=(0, None))
    m.exp = pyo.Var(m.G, m.T, bounds=(0, None))
    m.peak_inc = pyo.Var(m.G, bounds=(0, None))
    m.p_imp = pyo.Param(m.G, m.T, mutable=True, initialize=0.0)
    m.p_exp = pyo.Param(m.G, m.T, mutable=True, initialize=0.0)
    m.peak0 = pyo.Param(m.G, mutable=True, initialize=0.0)
    m.c_imp = pyo.Constraint(m.G, m.T, rule=lambda mm, g, t: mm.imp[g, t] <= grids[g].max_import)
    m.c_exp = pyo.Constraint(m.G, m.T, rule=lambda mm, g, t: mm.exp[g, t] <= grids[g].max_export)
    # one connection imports or exports, not both. Both at once only pays where export
    # earns at least what import costs (or import is paid for); there the either/or binary
    # gmode (1 = export) is in force. Elsewhere ``gfree`` = 1 lifts both rows and pins
    # gmode to 0 (row bounds move with Params: the model is not rebuilt when prices move)
    exporting = [g for g in sorted(grids) if grids[g].max_export > 0]
    m.GX = pyo.Set(initialize=exporting, ordered=True)
    m.gmode = pyo.Var(m.GX, m.T, domain=pyo.Binary)
    m.gfree = pyo.Param(m.GX, m.T, mutable=True, initialize=1.0)
    m.c_imp_mode = pyo.Constraint(
        m.GX,
        m.T,
        rule=lambda mm, g, t: (
            mm.imp[g, t] + grids[g].max_import * mm.gmode[g, t]
            <= grids[g].max_import * (1 + mm.gfree[g, t])
        ),
    )
    m.c_exp_mode = pyo.Constraint(
        m.GX,
        m.T,
        rule=lambda mm, g, t: (
            mm.exp[g, t] - grids[g].max_export * mm.gmode[g, t]
            <= grids[g].max_export * mm.gfree[g, t]
        ),
    )
    m.c_mode_free = pyo.Constraint(
        m.GX, m.T, rule=lambda mm, g, t: mm.gmode[g, t] <= 1 - mm.gfree[g, t]
    )
    m.c_peak = pyo.Constraint(
        m.G, m.T, rule=lambda mm, g, t: mm.peak_inc[g] >= mm.imp[g, t] - mm.peak0[g]
    )

    # --- renewables ---------------------------------------------------------------------
    m.R = pyo.Set(initialize=sorted(ren), ordered=True)
    m.gen = pyo.Var(m.R, m.T, bounds=(0, None))
    m.ren_fc = pyo.Param(m.R, m.T, mutable=True, initialize=0.0)

    def ren_rule(mm: pyo.ConcreteModel, r: str, t: int) -> pyo.Expression:
        if ren[r].curtailable:
            return mm.gen[r, t] <= mm.ren_fc[r, t]
        return mm.gen[r, t] == mm.ren_fc[r, t]

    m.c_ren = pyo.Constraint(m.R, m.T, rule=ren_rule)

    # --- purchased fuels ------------------------------------------------------------------
    m.F = pyo.Set(initialize=sorted(cfg.tariffs.fuels), ordered=True)
    m.buy = pyo.Var(m.F, m.T, bounds=(0, None))
    m.p_fuel = pyo.Param(m.F, m.T, mutable=True, initialize=0.0)

    # --- units with their own fuel price / CO2 factor -------------------------------------
    # a unit with its own price buys its input itself (outside the carrier's balance); its
    # CO2 is its own factor, or the carrier's. A unit with only its own factor draws from
    # the carrier and its CO2 is corrected from the carrier's factor to its own.
    own = sorted(u for u in conv if conv[u].fuel_price is not None)
    m.OWN = pyo.Set(initialize=own, ordered=True)
    m.p_own = pyo.Param(m.OWN, m.T, mutable=True, initialize=0.0)
    uco2 = sorted(u for u in conv if conv[u].co2_factor is not None or u in own)
    m.UCO2 = pyo.Set(initialize=uco2, ordered=True)
    m.co2u = pyo.Param(m.UCO2, m.T, mutable=True, initialize=0.0)

    # --- balances ----------------------------------------------------------------------
    m.C = pyo.Set(initialize=list(cfg.carriers), ordered=True)
    m.demand = pyo.Param(m.C, m.T, mutable=True, initialize=0.0)
    m.co2f = pyo.Param(m.C, m.T, mutable=True, initialize=0.0)
    # unmet demand only where there is demand: a fuel cannot be 'unmet' into existence
    demanded = {d.carrier for d in cfg.demands.values()}
    m.unmet = pyo.Var(m.C, m.T, bounds=lambda mm, c, t: (0, None) if c in demanded else (0, 0))
    m.spill = pyo.Var(m.C, m.T, bounds=(0, None))

    def balance(mm: pyo.ConcreteModel, c: str, t: int) -> pyo.Expression:
        supply = sum(mm.ld[u, t] for u in conv if conv[u].output == c)
        supply += sum(
            coproduct_output(mm, u, conv[u], c, t) for u in conv if c in coproducts_of(conv[u])
        )
        supply += sum(mm.dis[s, t] - mm.ch[s, t] for s in stor if stor[s].carrier == c)
        supply += sum(mm.imp[g, t] - mm.exp[g, t] for g in grids if grids[g].carrier == c)
        supply += sum(mm.gen[r, t] for r in ren if ren[r].carrier == c)
        if c in cfg.tariffs.fuels:
            supply += mm.buy[c, t]
        use = sum(mm.inp[u, t] for u in conv if conv[u].input == c and u not in own)
        return supply + mm.unmet[c, t] - mm.spill[c, t] == mm.demand[c, t] + use + carrier_delta(
            c, t
        )

    m.c_balance = pyo.Constraint(m.C, m.T, rule=balance)

    # --- cost, energy and CO2 expressions (objective terms) -----------------------------------
    fuel_cost = sum(dh * m.p_fuel[f, t] * m.buy[f, t] for f in m.F for t in m.T)
    grid_cost = sum(
        dh * (m.p_imp[g, t] * m.imp[g, t] - m.p_exp[g, t] * m.exp[g, t]) for g in m.G for t in m.T
    )
    startup = sum(conv[u].startup_cost * m.su[u, t] for u in m.U for t in m.T)
    startup += sum(
        conv[u].shutdown_cost * m.sd[u, t] for u in m.U for t in m.T if conv[u].shutdown_cost
    )
    own_fuel = sum(dh * m.p_own[u, t] * m.inp[u, t] for u in m.OWN for t in m.T)
    peak = sum(grids[g].peak_charge * m.peak_inc[g] for g in m.G)
    wear = sum(dh * stor[s].cycle_cost * m.dis[s, t] for s in m.S for t in m.T)
    co2 = sum(
        dh
        * m.co2f[c, t]
        * (
            (m.buy[c, t] if c in cfg.tariffs.fuels else 0)
            + sum(m.imp[g, t] for g in grids if grids[g].carrier == c)
        )
        for c in m.C
        for t in m.T
    )
    co2 += sum(dh * m.co2u[u, t] * m.inp[u, t] for u in m.UCO2 for t in m.T)
    co2 -= sum(
        dh * m.co2f[conv[u].input, t] * m.inp[u, t] for u in m.UCO2 if u not in own for t in m.T
    )
    m.e_co2 = pyo.Expression(expr=co2)
    m.e_cost = pyo.Expression(
        expr=fuel_cost + own_fuel + grid_cost + startup + peak + wear + cfg.co2.price * m.e_co2
    )
    m.e_energy = pyo.Expression(
        expr=sum(dh * m.buy[f, t] for f in m.F for t in m.T)
        + sum(dh * m.inp[u, t] for u in m.OWN for t in m.T)
        + sum(dh * (m.imp[g, t] - m.exp[g, t]) for g in m.G for t in m.T)
    )
    m.e_penalty = pyo.Expression(
        expr=sum(dh * cfg.carriers[c].unmet_penalty * m.unmet[c, t] for c in m.C for t in m.T)
        + sum(dh * SPILL_COST * m.spill[c, t] for c in m.C for t in m.T)
    )
    if cfg.co2.cap is not None:
        m.c_co2_cap = pyo.Constraint(expr=m.e_co2 <= cfg.co2.cap)
