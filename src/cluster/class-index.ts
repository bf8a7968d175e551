import type { ClassSummary, ClassView } from '../rules/class-view.ts';

/** The few fields of a class object the index reads; everything else is dropped on arrival. */
export interface ClassObject {
  readonly metadata?: {
    readonly name?: string;
    readonly resourceVersion?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly driver?: unknown;
}

export interface DriverDefaults {
  readonly driver: string;
  readonly classes: readonly string[];
}

/**
 * The snapshot classes of one kind, indexed by name and by driver. Keeps only name, driver and
 * whether the class is a default, so that 10,000 classes cost a few hundred kilobytes, and every
 * question the rules ask is answered without scanning the classes.
 */
export class ClassIndex implements ClassView {
  readonly #defaultAnnotation: string;
  readonly #byName = new Map<string, ClassSummary>();
  /** driver → names of its default classes; a driver without defaults has no entry. */
  readonly #defaultsByDriver = new Map<string, Set<string>>();
  /** Drivers with more than one default: kept up to date so reporting them is cheap. */
  readonly #driversWithDuplicates = new Set<string>();

  constructor(defaultAnnotation: string) {
    this.#defaultAnnotation = defaultAnnotation;
  }

  defaultsFor(driver: string): readonly string[] {
    const names = this.#defaultsByDriver.get(driver);
    return names === undefined ? [] : [...names];
  }

  get(name: string): ClassSummary | undefined {
    return this.#byName.get(name);
  }

  hasAnyDefault(): boolean {
    return this.#defaultsByDriver.size > 0;
  }

  size(): number {
    return this.#byName.size;
  }

  /** Drivers that have more than one default class (the conflict the webhook exists to stop). */
  driversWithMultipleDefaults(): DriverDefaults[] {
    return [...this.#driversWithDuplicates].map((driver) => ({ driver, classes: this.defaultsFor(driver) }));
  }

  /** Adds or replaces a class. Objects without a name are ignored: they cannot be referenced. */
  upsert(object: ClassObject): void {
    const summary = this.#summarize(object);
    if (summary === undefined) {
      return;
    }
    this.remove(summary.name);
    this.#byName.set(summary.name, summary);
    if (summary.isDefault) {
      this.#addDefault(summary);
    }
  }

  remove(name: string): void {
    const existing = this.#byName.get(name);
    if (existing === undefined) {
      return;
    }
    this.#byName.delete(name);
    if (existing.isDefault) {
      this.#removeDefault(existing);
    }
  }

  /**
   * The part of a class object this index reads, so that a LIST of many pages holds a few
   * strings per class rather than whole objects until it calls replaceAll.
   */
  project(object: ClassObject): ClassObject | undefined {
    const summary = this.#summarize(object);
    if (summary === undefined) {
      return undefined;
    }
    const value = object.metadata?.annotations?.[this.#defaultAnnotation];
    const annotations = value === undefined ? undefined : { [this.#defaultAnnotation]: value };
    return { metadata: { name: summary.name, annotations }, driver: summary.driver };
  }

  /** Replaces the whole content, as after a LIST. */
  replaceAll(objects: Iterable<ClassObject>): void {
    this.#byName.clear();
    this.#defaultsByDriver.clear();
    this.#driversWithDuplicates.clear();
    for (const object of objects) {
      this.upsert(object);
    }
  }

  #summarize(object: ClassObject): ClassSummary | undefined {
    const name = object.metadata?.name;
    if (typeof name !== 'string' || name === '') {
      return undefined;
    }
    const driver = typeof object.driver === 'string' ? object.driver : '';
    const isDefault = object.metadata?.annotations?.[this.#defaultAnnotation] === 'true';
    return Object.freeze({ name, driver, isDefault });
  }

  #addDefault(summary: ClassSummary): void {
    let names = this.#defaultsByDriver.get(summary.driver);
    if (names === undefined) {
      names = new Set();
      this.#defaultsByDriver.set(summary.driver, names);
    }
    names.add(summary.name);
    if (names.size > 1) {
      this.#driversWithDuplicates.add(summary.driver);
    }
  }

  #removeDefault(summary: ClassSummary): void {
    const names = this.#defaultsByDriver.get(summary.driver);
    if (names === undefined) {
      return;
    }
    names.delete(summary.name);
    if (names.size <= 1) {
      this.#driversWithDuplicates.delete(summary.driver);
    }
    if (names.size === 0) {
      this.#defaultsByDriver.delete(summary.driver);
    }
  }
}

/** Reads a class object out of decoded JSON; undefined when it is not an object. */
export function asClassObject(value: unknown): ClassObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}
