/**
 * The column names of the published Inclusive Classifier dataset (Nguyen et al. 2019; cerndb/SparkDLTrigger,
 * DataIngestion_FeaturePreparation): 19 features per particle, 14 high-level features per event, and the
 * label order of its one-hot `encoded_label` (0 QCD, 1 tt, 2 W+jets).
 */
export const PARTICLE_FEATURES = [
  'Energy',
  'Px',
  'Py',
  'Pz',
  'Pt',
  'Eta',
  'Phi',
  'vtxX',
  'vtxY',
  'vtxZ',
  'ChPFIso',
  'GammaPFIso',
  'NeuPFIso',
  'isChHad',
  'isNeuHad',
  'isGamma',
  'isEle',
  'isMu',
  'Charge',
] as const;

export const HLF_FEATURES = [
  'HT',
  'MET',
  'PhiMET',
  'MT',
  'nJets',
  'bJets',
  'LepPt',
  'LepEta',
  'LepPhi',
  'LepIsoCh',
  'LepIsoGamma',
  'LepIsoNeu',
  'LepCharge',
  'LepIsEle',
] as const;

export const CLASS_NAMES = ['QCD', 'tt', 'W+jets'] as const;

export const N_PARTICLE_FEATURES = PARTICLE_FEATURES.length; // 19
export const N_HLF = HLF_FEATURES.length; // 14
export const N_CLASSES = CLASS_NAMES.length; // 3
/** Particles per event in the published dataset (zero-padded). */
export const PUBLISHED_MAX_PARTICLES = 801;

/** Nested layout (as Spark/Petastorm wrote the published Parquet). */
export const NESTED_COLUMNS = { hlf: 'HLF_input', particles: 'GRU_input', label: 'encoded_label' } as const;
/** Flat layout: a `label` column (0..2), the 14 HLF as scalar columns, the 19 particle features as list columns (one entry per particle). */
export const FLAT_LABEL = 'label';
