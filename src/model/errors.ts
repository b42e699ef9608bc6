// The error every invalid model raises (the CLI exits 65); its own module so that the architecture
// descriptors (src/architectures), which model/format.ts reads, can raise it without importing format.ts.

/** A one-line reason why a model file cannot be used, naming the file, the header and the field. */
export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}
