// The operator role given to the bot's identity on one subscription.

targetScope = 'subscription'

@description('Resource id of the custom role definition.')
param roleDefinitionId string

@description('Principal id of the bot\'s managed identity.')
param principalId string

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, roleDefinitionId)
  properties: {
    roleDefinitionId: roleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Switchboard may run its actions here.'
  }
}
