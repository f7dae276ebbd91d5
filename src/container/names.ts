import { invalidArgument } from '../util/errors.js';

const NAME_PATTERN = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Validates a user-given container name; returns it without a leading "/". */
export function validateName(name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.replace(/^\//, '');
}

// Docker's generator draws from two word lists; ours is shorter, same shape.
const LEFT = [
  'admiring', 'brave', 'calm', 'clever', 'dazzling', 'eager', 'elated', 'festive', 'focused', 'gallant',
  'happy', 'hopeful', 'jolly', 'keen', 'kind', 'lucid', 'modest', 'nifty', 'optimistic', 'peaceful',
  'quirky', 'relaxed', 'serene', 'sharp', 'stoic', 'tender', 'trusting', 'upbeat', 'vibrant', 'wizardly',
  'youthful', 'zealous',
];
const RIGHT = [
  'albattani', 'babbage', 'curie', 'darwin', 'einstein', 'fermi', 'galileo', 'hopper', 'hypatia', 'johnson',
  'kepler', 'lovelace', 'mccarthy', 'meitner', 'newton', 'noether', 'pasteur', 'ritchie', 'shannon', 'tesla',
  'thompson', 'torvalds', 'turing', 'wozniak', 'yalow', 'zhukovsky',
];

/** A random docker-style name ("brave_turing") that `taken` does not contain. */
export function generateName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    const left = LEFT[Math.floor(Math.random() * LEFT.length)];
    const right = RIGHT[Math.floor(Math.random() * RIGHT.length)];
    const name = attempt < 10 ? `${left}_${right}` : `${left}_${right}${Math.floor(Math.random() * 100)}`;
    if (!taken(name)) return name;
  }
}
