// An ES module: a CommonJS package of node_modules imported, an exported async handler.
import greet from 'tiny-greet';

export const handler = async (event) => ({ module: 'esm', greeting: greet(event.name) });
