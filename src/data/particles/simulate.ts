/**
 * A seeded toy simulation of the three event topologies of the Inclusive Classifier (Nguyen et al.
 * 2019), every event carrying one selected lepton as the published selection requires. It is not a
 * physics generator: the shapes are chosen so the classes separate for the physical reasons the
 * paper names, and so the particle list holds information the 14 high-level features (HLF) lack.
 *
 * Processes (label order as published: 0 QCD, 1 tt, 2 W+jets):
 * - W+jets: a W -> l nu gives an isolated lepton and real missing energy (MET ~ the neutrino's pT,
 *   so MT peaks near the W mass); few extra jets (1 + Poisson(0.6)); b quarks rare (5% of events).
 * - tt (semileptonic): t -> b W(l nu), t -> b W(q q'): the same isolated lepton and MET, plus two
 *   b-jets (the one from the leptonic top near the lepton, Delta R ~ 1) and two light jets from the
 *   hadronic W (some softer than the 40 GeV HLF jet threshold).
 * - QCD multijet: the "lepton" comes from a heavy-flavour decay inside a jet, so it sits among other
 *   particles (non-isolated) and the MET is small (resolution plus a soft neutrino); 2 + Poisson(1)
 *   jets, half the events with a b-bbar pair. A fifth of QCD leptons are fakes that look isolated.
 *
 * What only the particle list carries:
 * - displaced vertices: charged tracks from a b-hadron decay start at a secondary vertex a few mm
 *   from the beam line (vtxX, vtxY), whether or not the jet was b-tagged (the HLF `bJets` counts only
 *   tagged jets, tag efficiency 60%, light mistag 3%);
 * - jets below the HLF jet threshold (pT < 40 GeV or |eta| > 2.4) that `nJets`/`HT` ignore;
 * - the particles around the lepton (QCD's lepton sits inside its jet at small Delta R).
 *
 * Particles: charged hadrons, neutral hadrons, photons, electrons, muons, as in the published 19
 * features (schema.ts): four-momentum, vertex, the three particle-flow isolations (summed pT of
 * charged, photon and neutral particles within Delta R < 0.3, over the particle's pT), one-hot kind
 * and charge. Every event has an underlying event of soft particles. The particles are sorted, as
 * the published preparation sorts them, by decreasing Delta R from the lepton (the lepton last);
 * writers pad with zero rows to max_particles.
 */
import { Random } from '../../runtime/random.js';
import { N_HLF, N_PARTICLE_FEATURES } from './schema.js';

export interface SimulatedEvent {
  label: number;
  hlf: Float64Array;
  /** Particles row-major (n x 19), sorted by decreasing Delta R from the lepton. */
  particles: Float64Array;
  n: number;
}

export interface SimulationOptions {
  /** Class fractions QCD, tt, W+jets (normalized). */
  fractions: [number, number, number];
}

const DEFAULT_SIMULATION: SimulationOptions = { fractions: [1, 1, 1] };

const CH_HAD = 0,
  NEU_HAD = 1,
  GAMMA = 2,
  ELE = 3,
  MU = 4;

interface Particle {
  pt: number;
  eta: number;
  phi: number;
  mass: number;
  kind: number;
  charge: number;
  vx: number;
  vy: number;
  vz: number;
}

interface Jet {
  pt: number;
  eta: number;
  phi: number;
  b: boolean;
}

/** Event i of a data set is a function of (seed, i) alone: shards and ranges reproduce exactly. */
export function simulateEvent(
  seed: number,
  index: number,
  options: SimulationOptions = DEFAULT_SIMULATION,
): SimulatedEvent {
  const rng = new Random(seed).fork(index);
  const f = options.fractions;
  const u = rng.next() * (f[0] + f[1] + f[2]);
  const label = u < f[0] ? 0 : u < f[0] + f[1] ? 1 : 2;
  const pvz = rng.normal(0, 45); // primary vertex z (mm)
  const particles: Particle[] = [];
  const jets: Jet[] = [];
  let lepton: Particle;
  let nuX = 0,
    nuY = 0;
  let fakeLepton = false;

  const lepKind = rng.next() < 0.5 ? ELE : MU;
  const lepCharge = rng.next() < 0.5 ? -1 : 1;
  /** The selected lepton (massless, from the primary vertex) at pt, eta, phi. */
  const leptonAt = (pt: number, eta: number, phi: number): Particle => ({
    pt,
    eta,
    phi,
    mass: 0,
    kind: lepKind,
    charge: lepCharge,
    vx: 0,
    vy: 0,
    vz: pvz,
  });
  if (label === 0) {
    // QCD: the lepton comes from a heavy-flavour decay inside a jet (or is a fake).
    const nJets = 2 + poisson(rng, 1.0);
    const bbbar = rng.next() < 0.5;
    for (let j = 0; j < nJets; j++) jets.push(randomJet(rng, 32, 45, bbbar && j < 2));
    const host = jets[0];
    fakeLepton = rng.next() < 0.2;
    const fake = fakeLepton;
    const pt = 23 + expo(rng, 10);
    lepton = fake
      ? leptonAt(pt, clampEta(rng.normal(0, 1.2)), rng.uniform(-Math.PI, Math.PI))
      : leptonAt(pt, host.eta + rng.normal(0, 0.05), wrap(host.phi + rng.normal(0, 0.05)));
    host.pt = Math.max(host.pt, pt * 1.3);
    const nuPt = expo(rng, 6);
    const nuPhi = host.phi + rng.normal(0, 0.2);
    nuX = nuPt * Math.cos(nuPhi);
    nuY = nuPt * Math.sin(nuPhi);
  } else {
    // W -> l nu (W+jets, and the leptonic top in tt): isolated lepton, neutrino recoiling in the transverse plane.
    const wPt = expo(rng, label === 1 ? 60 : 35);
    const wPhi = rng.uniform(-Math.PI, Math.PI);
    const cosT = rng.uniform(-1, 1);
    const lepPtRest = 40.2 * Math.sqrt(1 - cosT * cosT) + 1;
    const restPhi = rng.uniform(-Math.PI, Math.PI);
    const lx = lepPtRest * Math.cos(restPhi) + 0.5 * wPt * Math.cos(wPhi);
    const ly = lepPtRest * Math.sin(restPhi) + 0.5 * wPt * Math.sin(wPhi);
    nuX = -lepPtRest * Math.cos(restPhi) + 0.5 * wPt * Math.cos(wPhi);
    nuY = -lepPtRest * Math.sin(restPhi) + 0.5 * wPt * Math.sin(wPhi);
    const pt = Math.max(23 + expo(rng, 3), Math.hypot(lx, ly));
    lepton = leptonAt(pt, clampEta(rng.normal(0, 1.1)), Math.atan2(ly, lx));
    if (label === 1) {
      // two b from the tops; the one from the leptonic top flies near the lepton
      const bLep = randomJet(rng, 30, 55, true);
      bLep.eta = clampEta(lepton.eta + rng.normal(0, 0.7));
      bLep.phi = wrap(lepton.phi + rng.normal(0, 0.7));
      jets.push(bLep, randomJet(rng, 30, 55, true));
      const wjet = randomJet(rng, 20, 45, false); // hadronic W: two close light jets
      jets.push(wjet, {
        pt: 18 + expo(rng, 30),
        eta: clampEta(wjet.eta + rng.normal(0, 0.6)),
        phi: wrap(wjet.phi + rng.normal(0, 0.6)),
        b: false,
      });
      for (let j = poisson(rng, 0.5); j > 0; j--) jets.push(randomJet(rng, 20, 30, false));
    } else {
      const bEvent = rng.next() < 0.05;
      for (let j = 1 + poisson(rng, 0.6); j > 0; j--) jets.push(randomJet(rng, 22, 40, bEvent && jets.length < 2));
    }
  }
  particles.push(lepton);
  for (const jet of jets) fragment(rng, jet, pvz, particles);
  // underlying event and pile-up: soft particles everywhere
  for (let k = 12 + poisson(rng, 12); k > 0; k--) particles.push(softParticle(rng, pvz));
  // QCD's non-fake lepton sits in its jet: a few more soft tracks right next to it
  if (label === 0 && !fakeLepton) {
    for (let k = poisson(rng, 2); k > 0; k--)
      particles.push({
        ...softParticle(rng, pvz),
        eta: lepton.eta + rng.normal(0, 0.08),
        phi: wrap(lepton.phi + rng.normal(0, 0.08)),
        kind: CH_HAD,
        charge: rng.next() < 0.5 ? -1 : 1,
        mass: 0.14,
      });
  }

  // MET: neutrino plus resolution on the hadronic activity
  const activity = jets.reduce((s, j) => s + j.pt, 0);
  const metX = nuX + rng.normal(0, 3 + 0.06 * activity);
  const metY = nuY + rng.normal(0, 3 + 0.06 * activity);
  const met = Math.hypot(metX, metY);
  const metPhi = Math.atan2(metY, metX);

  const rows = particleRows(particles, lepton);
  let ht = 0,
    nJets = 0,
    bJets = 0;
  for (const jet of jets) {
    if (jet.pt > 40 && Math.abs(jet.eta) < 2.4) {
      nJets++;
      ht += jet.pt;
      if (rng.next() < (jet.b ? 0.6 : 0.03)) bJets++;
    }
  }
  const lepRow = rows.lepton;
  const hlf = new Float64Array(N_HLF);
  hlf.set([
    ht,
    met,
    metPhi,
    2 * met * lepton.pt * (1 - Math.cos(lepton.phi - metPhi)), // MT as the published ingestion computes it
    nJets,
    bJets,
    lepton.pt,
    lepton.eta,
    lepton.phi,
    lepRow[10],
    lepRow[11],
    lepRow[12],
    lepton.charge,
    lepton.kind === ELE ? 1 : 0,
  ]);
  return { label, hlf, particles: rows.data, n: particles.length };
}

function randomJet(rng: Random, minPt: number, meanPt: number, b: boolean): Jet {
  return { pt: minPt + expo(rng, meanPt), eta: clampEta(rng.normal(0, 1.4)), phi: rng.uniform(-Math.PI, Math.PI), b };
}

/** A jet's constituents: a few hard and many soft, mostly charged; b-jets' charged tracks from a displaced vertex. */
function fragment(rng: Random, jet: Jet, pvz: number, out: Particle[]): void {
  const n = 3 + poisson(rng, jet.pt / 6);
  const weights = Array.from({ length: n }, () => expo(rng, 1) ** 2);
  const total = weights.reduce((a, b) => a + b, 0);
  // a b-hadron flies a few mm before decaying: its decay products start there
  const flight = jet.b ? expo(rng, 3) : 0;
  const theta = 2 * Math.atan(Math.exp(-jet.eta));
  const sx = flight * Math.sin(theta) * Math.cos(jet.phi),
    sy = flight * Math.sin(theta) * Math.sin(jet.phi),
    sz = flight * Math.cos(theta);
  for (let k = 0; k < n; k++) {
    const r = rng.next();
    const kind = r < 0.62 ? CH_HAD : r < 0.77 ? NEU_HAD : GAMMA;
    const charged = kind === CH_HAD;
    const fromB = jet.b && charged && rng.next() < 0.6;
    out.push({
      pt: Math.max(0.5, (jet.pt * weights[k]) / total),
      eta: jet.eta + rng.normal(0, 0.12),
      phi: wrap(jet.phi + rng.normal(0, 0.12)),
      mass: charged ? 0.14 : kind === NEU_HAD ? 0.5 : 0,
      kind,
      charge: charged ? (rng.next() < 0.5 ? -1 : 1) : 0,
      vx: charged ? rng.normal(0, 0.02) + (fromB ? sx : 0) : 0,
      vy: charged ? rng.normal(0, 0.02) + (fromB ? sy : 0) : 0,
      vz: charged ? pvz + rng.normal(0, 0.05) + (fromB ? sz : 0) : 0,
    });
  }
}

function softParticle(rng: Random, pvz: number): Particle {
  const r = rng.next();
  const kind = r < 0.6 ? CH_HAD : r < 0.75 ? NEU_HAD : GAMMA;
  const charged = kind === CH_HAD;
  return {
    pt: 0.5 + expo(rng, 1.2),
    eta: rng.uniform(-2.5, 2.5),
    phi: rng.uniform(-Math.PI, Math.PI),
    mass: charged ? 0.14 : kind === NEU_HAD ? 0.5 : 0,
    kind,
    charge: charged ? (rng.next() < 0.5 ? -1 : 1) : 0,
    vx: charged ? rng.normal(0, 0.02) : 0,
    vy: charged ? rng.normal(0, 0.02) : 0,
    vz: charged ? pvz + rng.normal(0, 0.05) : 0,
  };
}

/** The 19 features of every particle, with isolations, sorted by decreasing Delta R from the lepton. */
function particleRows(particles: Particle[], lepton: Particle): { data: Float64Array; lepton: Float64Array } {
  const n = particles.length;
  const dr = particles.map((p) => deltaR(p, lepton));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dr[b] - dr[a] || a - b);
  const data = new Float64Array(n * N_PARTICLE_FEATURES);
  let lepRow = new Float64Array(N_PARTICLE_FEATURES);
  order.forEach((i, row) => {
    const p = particles[i];
    let ch = 0,
      gamma = 0,
      neu = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const q = particles[j];
      if (deltaR(p, q) >= 0.3) continue;
      if (q.kind === GAMMA) gamma += q.pt;
      else if (q.kind === NEU_HAD) neu += q.pt;
      else ch += q.pt;
    }
    const px = p.pt * Math.cos(p.phi),
      py = p.pt * Math.sin(p.phi),
      pz = p.pt * Math.sinh(p.eta);
    const energy = Math.sqrt(px * px + py * py + pz * pz + p.mass * p.mass);
    const at = row * N_PARTICLE_FEATURES;
    data.set(
      [
        energy,
        px,
        py,
        pz,
        p.pt,
        p.eta,
        p.phi,
        p.vx,
        p.vy,
        p.vz,
        ch / p.pt,
        gamma / p.pt,
        neu / p.pt,
        p.kind === CH_HAD ? 1 : 0,
        p.kind === NEU_HAD ? 1 : 0,
        p.kind === GAMMA ? 1 : 0,
        p.kind === ELE ? 1 : 0,
        p.kind === MU ? 1 : 0,
        p.charge,
      ],
      at,
    );
    if (p === lepton) lepRow = data.slice(at, at + N_PARTICLE_FEATURES);
  });
  return { data, lepton: lepRow };
}

function deltaR(a: { eta: number; phi: number }, b: { eta: number; phi: number }): number {
  const dphi = wrap(a.phi - b.phi);
  const deta = a.eta - b.eta;
  return Math.sqrt(deta * deta + dphi * dphi);
}

function wrap(phi: number): number {
  while (phi > Math.PI) phi -= 2 * Math.PI;
  while (phi < -Math.PI) phi += 2 * Math.PI;
  return phi;
}

function clampEta(eta: number): number {
  return Math.max(-2.8, Math.min(2.8, eta));
}

function expo(rng: Random, mean: number): number {
  return -mean * Math.log(1 - rng.next());
}

function poisson(rng: Random, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}
