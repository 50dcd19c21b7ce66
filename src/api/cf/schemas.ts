// TypeBox schemas shared by CF routes.
import { Type } from 'typebox';

export const GuidParams = Type.Object({ guid: Type.String() });

/** /v3/apps/:guid/processes/:type/… */
export const AppProcessParams = Type.Object({ guid: Type.String(), type: Type.String() });
