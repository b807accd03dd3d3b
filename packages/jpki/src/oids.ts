/** Object identifiers of the JPKI profiles (jpki-pki.md §2) and the X.509 extensions the validator reads. */
export const JPKI_OIDS = {
  /** SAN otherName arcs 1.2.392.200149.8.5.5.x (jpki-pd-*): the basic four of the signing certificate. */
  name: '1.2.392.200149.8.5.5.1',
  nameSubstitution: '1.2.392.200149.8.5.5.2',
  sex: '1.2.392.200149.8.5.5.3',
  birthDate: '1.2.392.200149.8.5.5.4',
  address: '1.2.392.200149.8.5.5.5',
  addressSubstitution: '1.2.392.200149.8.5.5.6',
  /** jpki-cp-sign-class20 in production, and its JPKI-TEST counterpart. */
  signingPolicy: '1.2.392.200149.8.5.1.1.20',
  signingPolicyTest: '1.2.392.200149.8.5.1.0.20',
  /** jpki-cp-auth-class30 (no distinct test value is known). */
  authPolicy: '1.2.392.200149.8.5.1.3.30',
} as const;

export const EXTENSION_OIDS = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  cRLDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

/** Extensions the JPKI end-entity profile uses; any other critical extension makes a leaf unacceptable. */
export const JPKI_LEAF_KNOWN_EXTENSIONS: readonly string[] = Object.values(EXTENSION_OIDS);
