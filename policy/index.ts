/**
 * The orchestrator's CrossGuard policy pack. The engine starts this file (through ts-node) when a preview or update
 * is run with `--policy-pack policy`; every rule is mandatory, so a violation stops the update.
 */
import { PolicyPack } from '@pulumi/policy';
import { policies } from './rules';

new PolicyPack('orchestrator', { policies, enforcementLevel: 'mandatory' });
