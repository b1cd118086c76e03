// The custom role the bot holds on its operable scopes. Its operations are generated from the
// action catalog (each action's arm_operations) by `python -m tools.gen_role` into
// ../custom-role-actions.json; a test fails when that file is stale. Nothing here is hand-written.

targetScope = 'subscription'

@description('Name of the role as shown in the portal; unique in the tenant.')
param roleName string

@description('Scopes the role may be assigned on (the operable scopes).')
@minLength(1)
param assignableScopes array

var catalog = loadJsonContent('../custom-role-actions.json')

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleName)
  properties: {
    roleName: roleName
    description: 'Switchboard: exactly the Azure Resource Manager operations its actions perform (generated from the action catalog).'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: catalog.actions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

output id string = role.id
output roleName string = roleName
