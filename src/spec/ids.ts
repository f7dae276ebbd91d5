/** Branded identifiers: a plain string cannot be passed where one of these is meant. */
export type Digest = string & { readonly __brand: 'Digest' }; // "sha256:<64 hex>"
export type ImageId = string & { readonly __brand: 'ImageId' }; // the config digest, "sha256:<hex>"
export type ChainId = string & { readonly __brand: 'ChainId' }; // "sha256:<hex>"
export type ContainerId = string & { readonly __brand: 'ContainerId' }; // 64 hex digits
