// Switchboard's storage account: its tables and queues, the Functions host's storage and the
// deployment package container. Shared-key access is off (identity only), TLS 1.2 at least, no
// anonymous blob access. The app's identity gets data-plane roles only — no control-plane role.

@description('Name of the storage account (3 to 24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Principal id of the app\'s managed identity.')
param appPrincipalId string

@description('Entra object ids of the operators who run `python -m app.policy` against this account (Storage Table Data Contributor). Empty: nobody.')
param operatorPrincipalIds array = []

@description('Principal type of operatorPrincipalIds: User for people, ServicePrincipal for a pipeline identity.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

@description('Replication of the account: Standard_LRS for dev; Standard_ZRS (or GZRS) where the audit trail must survive a zone.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param sku string = 'Standard_LRS'

@description('The operations queue and its poison queue (the names function_app.py\'s queue triggers use).')
param operationQueueNames array = [
  'switchboard-operations'
  'switchboard-operations-poison'
]

@description('Blob container the Flex Consumption plan deploys the app package from.')
param deploymentContainerName string = 'app-package'

var roles = {
  // The Functions host's own storage (AzureWebJobsStorage: host keys, leases) and the deployment
  // container; the host creates its containers, which needs Owner rather than Contributor.
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Switchboard's queues
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Switchboard's tables: bot state, guardrails, audit
}
var appRoles = [
  roles.blobDataOwner
  roles.queueDataContributor
  roles.tableDataContributor
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  //checkov:skip=CKV_AZURE_35:No virtual network in this deployment (Flex Consumption without VNet integration reaches storage over its public endpoint); access needs an Entra token, shared keys are disabled
  //checkov:skip=CKV_AZURE_59:As CKV_AZURE_35: the public endpoint stays reachable, but only with an Entra token (allowSharedKeyAccess false)
  //checkov:skip=CKV_AZURE_206:Redundancy is the sku parameter: LRS for dev, zone-redundant in prod.bicepparam (the audit trail lives in these tables)
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: sku
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
        }
        file: {
          enabled: true
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

// The operations queue and its poison queue (app/runtime.py: OPERATIONS_QUEUE and OPERATIONS_POISON_QUEUE),
// created here rather than on first use: the queue triggers listen from the first start.
resource operationQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queueName in operationQueueNames: {
    parent: queueService
    name: queueName
  }
]

resource appDataRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in appRoles: {
    name: guid(account.id, appPrincipalId, role)
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource operatorTableRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for operator in operatorPrincipalIds: {
    name: guid(account.id, operator, roles.tableDataContributor)
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.tableDataContributor)
      principalId: operator
      principalType: operatorPrincipalType
    }
  }
]

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueServiceUri string = account.properties.primaryEndpoints.queue
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
